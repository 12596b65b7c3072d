"""MLflow registry glue: the only place that uses MLflow's registry API.

Serving reads the registry through one function, ``load(name, alias)``; training registers
a version and moves aliases (``challenger``, ``champion``) with ``register`` and ``set_alias``;
``versions`` lists what is registered.
Aliases and tags only: never the deprecated stages.
"""

from model_registry.registry import (
    alias_version,
    configure,
    ensure_experiment,
    load,
    register,
    set_alias,
    version_exists,
    versions,
)

__all__ = ["alias_version", "configure", "ensure_experiment", "load", "register", "set_alias", "version_exists",
           "versions"]
