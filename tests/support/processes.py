"""Child processes that cannot outlive the test run.

Every control-plane component and the process kubelet run in their own process group, get
``SIGKILL`` from the kernel if the Python process that started them dies
(``PR_SET_PDEATHSIG``), and are registered so that ``atexit`` and a ``SIGTERM``/``SIGHUP``
handler stop them when pytest or the demo is interrupted. Stopping sends ``SIGTERM`` to the
whole group, then ``SIGKILL`` after a grace period.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
_cleanups: dict[int, Callable[[], None]] = {}
_lock = threading.Lock()
_installed = False


def _die_with_parent() -> None:
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def spawn(
    argv: Sequence[str], *, log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in a new process group with output appended to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - only a prctl, async-signal-safe
        )


def kill_group(proc: subprocess.Popen[bytes], *, grace: float = 10) -> None:
    """SIGTERM the process group of ``proc``, then SIGKILL it after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure nothing else of the group is left either.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        return


def kill_marked(marker: str) -> int:
    """SIGKILL every process whose environment holds ``marker`` (``NAME=value``); return count."""
    needle = marker.encode()
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed += 1
    return killed


def kill_orphans(name: str) -> int:
    """SIGKILL processes marked ``<name>=<owner pid>-<id>`` whose owner process is dead.

    ``PR_SET_PDEATHSIG`` only reaches direct children; when a test run is SIGKILLed, a
    container's grandchildren survive. The next run finds them by their marker and ends them.
    """
    prefix = f"{name}=".encode()
    killed = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        for var in environ.split(b"\0"):
            if not var.startswith(prefix):
                continue
            owner = var[len(prefix) :].split(b"-", 1)[0]
            if owner.isdigit() and not Path(f"/proc/{int(owner)}").exists():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(entry.name), signal.SIGKILL)
                    killed += 1
            break
    return killed


def register_cleanup(key: int, cleanup: Callable[[], None]) -> None:
    """Run ``cleanup`` at exit or on SIGTERM/SIGHUP unless :func:`unregister_cleanup` ran first."""
    global _installed  # noqa: PLW0603 - one process-wide handler installation
    with _lock:
        _cleanups[key] = cleanup
        if _installed:
            return
        _installed = True
    atexit.register(run_cleanups)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)


def unregister_cleanup(key: int) -> None:
    """Forget a cleanup that already ran."""
    with _lock:
        _cleanups.pop(key, None)


def run_cleanups() -> None:
    """Run and forget every registered cleanup."""
    with _lock:
        pending = list(_cleanups.values())
        _cleanups.clear()
    for cleanup in pending:
        with contextlib.suppress(Exception):
            cleanup()


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    run_cleanups()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
