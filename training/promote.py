"""Point an alias (default ``champion``) at a registered version, by hand, audited.

    python -m training.promote VERSION [--alias champion] [--by NAME]

For a data scientist who compared versions (``python -m training.runs``) and decided; a
running service loads the new champion within ``TRIAGE_MODEL_CHECK_SECONDS``. Promoting a
version whose evaluation macro-F1 is below the current champion's is allowed and logged as
forced.
"""

from __future__ import annotations

import argparse
import getpass
import sys

import model_registry
from training.aliases import move_alias
from training.runs import version_table
from triage.config import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.promote", description=__doc__.split("\n\n")[0])
    parser.add_argument("version", help="the registered version to point the alias at")
    parser.add_argument("--alias", default="champion", help="the alias to move (default: champion)")
    parser.add_argument("--by", default=None, metavar="NAME", help="who decides (default: the login name)")
    args = parser.parse_args(argv)
    settings = load_settings()
    model_registry.configure(settings.tracking_uri)
    name = settings.model.name
    if not model_registry.version_exists(name, args.version):
        print(f"error: {name} has no version {args.version!r} in {settings.tracking_uri} "
              "(python -m training.runs lists them)", file=sys.stderr)
        return 2
    table = {row["version"]: row for row in version_table(settings)}
    current = model_registry.alias_version(name, args.alias)
    new_f1 = table[args.version]["macro_f1"]
    current_f1 = table[current]["macro_f1"] if current in table else None
    forced = new_f1 is not None and current_f1 is not None and new_f1 < current_f1
    previous = move_alias(settings, args.alias, args.version, by=args.by or getpass.getuser(), forced=forced,
                          macro_f1=new_f1, champion_macro_f1=current_f1, manual=True)
    print(f"{name}@{args.alias}: v{previous or '-'} -> v{args.version} (macro-F1 "
          f"{'-' if current_f1 is None else f'{current_f1:.3f}'} -> {'-' if new_f1 is None else f'{new_f1:.3f}'}"
          f"{', lower: logged as forced' if forced else ''})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
