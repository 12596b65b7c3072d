"""Run a parser of untrusted files in a child process it cannot escape: a time limit (the
child is killed when it overruns: a thread cannot stop pdfminer) and an address-space limit
(``RLIMIT_AS``: an allocation beyond it fails inside the child, not in the service), and a CPU
limit the kernel enforces should the parent be gone.

Children fork from a forkserver that has the parser's modules loaded already, so a call costs
a fork, not an interpreter start, and they never inherit the service's models or sockets.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import resource
import signal
import threading
from collections.abc import Callable
from typing import Any

from triage.domain import QuarantineReason
from triage.errors import QuarantinedInput

# "__main__" first: the server imports the program's main module once, so a child does not
# import it again (multiprocessing's rule; a program's main must be import-safe, as ours are).
_PRELOAD = ["__main__", "triage.ingest.pdf_preload"]
_lock = threading.Lock()
_context = None


def _get_context():
    global _context
    with _lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
    return _context


@contextlib.contextmanager
def _as_parent():
    """Start the child from a Celery prefork worker too. Its pool processes are daemonic, and
    multiprocessing refuses children to a daemon because they could outlive it; these children
    are the forkserver's, which exits with its parent, and each is bounded by RLIMIT_CPU. Celery's
    billiard also leaves its own authkey type in multiprocessing's process object, which
    multiprocessing cannot send to the forkserver: a plain copy stands in while the child starts."""
    current = multiprocessing.current_process()
    saved = dict(current._config)
    current._config["daemon"] = False
    if not isinstance(current._config.get("authkey"), multiprocessing.process.AuthenticationString):
        current._config["authkey"] = multiprocessing.process.AuthenticationString(bytes(current.authkey))
    try:
        yield
    finally:
        current._config.clear()
        current._config.update(saved)


def _child(conn, memory_bytes: int, cpu_seconds: int, fn: Callable, args: tuple) -> None:
    if memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # The kernel stops the child too (SIGXCPU), even when nobody is left to kill it.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    try:
        result: tuple = ("ok", fn(*args))
    except QuarantinedInput as exc:
        result = ("quarantined", exc.reason, exc.message)
    except MemoryError:
        result = ("memory",)
    except BaseException as exc:  # report, never raise: the parent decides
        result = ("error", f"{type(exc).__name__}: {exc}")
    try:
        conn.send(result)
    except MemoryError:
        conn.send(("memory",))
    conn.close()


def run_limited(fn: Callable, *args: Any, seconds: float, memory_mb: int, what: str = "the PDF") -> Any:
    """``fn(*args)`` in a child with the limits; its QuarantinedInput is raised here, and an
    overrun becomes ``pdf_timeout`` or ``pdf_memory``."""
    context = _get_context()
    receiver, sender = context.Pipe(duplex=False)
    with _as_parent():  # the Process copies the current process's settings when it is made
        process = context.Process(target=_child, args=(sender, memory_mb * 1024 * 1024, math.ceil(seconds) + 1, fn, args),
                                  daemon=True)
        process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise QuarantinedInput(QuarantineReason.PDF_TIMEOUT,
                                   f"reading {what} took longer than {seconds:g} s; the reader was stopped")
        try:
            result = receiver.recv()
        except EOFError:
            process.join(5)
            if process.exitcode == -signal.SIGXCPU:
                raise QuarantinedInput(QuarantineReason.PDF_TIMEOUT,
                                       f"reading {what} used more than {seconds:g} s of CPU; the reader was stopped") from None
            raise QuarantinedInput(QuarantineReason.PDF_MEMORY,
                                   f"the reader of {what} died (exit code {process.exitcode}); "
                                   f"it may have needed more than {memory_mb} MB") from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if result[0] == "ok":
        return result[1]
    if result[0] == "quarantined":
        raise QuarantinedInput(result[1], result[2])
    if result[0] == "memory":
        raise QuarantinedInput(QuarantineReason.PDF_MEMORY, f"reading {what} needed more than {memory_mb} MB")
    raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, f"cannot read {what}: {result[1]}")
