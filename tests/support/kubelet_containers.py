"""One container of a process-kubelet pod: its process, its restarts and its reported status.

A container is a process group started through :mod:`tests.support.kubelet_sandbox`. Its
output goes to a log file tests can read; after it exits, the file behind
``terminationMessagePath`` becomes ``state.terminated.message`` (at most 4096 bytes, or the
log tail with ``FallbackToLogsOnError``), as the kubelet does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_MESSAGE_LIMIT = 4096
_FALLBACK_LIMIT = 2048


def now() -> str:
    """The current time as the API's RFC 3339 seconds."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Container:
    """Runtime state of one container; ``status()`` renders its ``containerStatuses`` entry."""

    spec: dict[str, Any]
    image_id: str
    log: Path
    termination_file: Path
    sidecar: bool = False
    restart_count: int = 0
    state: dict[str, Any] = field(
        default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}}
    )
    last_state: dict[str, Any] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    exit_code: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        """The container name."""
        return str(self.spec["name"])

    @property
    def running(self) -> bool:
        """True while its process is alive."""
        return "running" in self.state

    def waiting(self, reason: str, message: str | None = None) -> None:
        """Report a Waiting state (no process)."""
        self.state = {"waiting": {"reason": reason} | ({"message": message} if message else {})}

    def start(self, argv: list[str], env: dict[str, str]) -> None:
        """Start the process in its own process group, output appended to the log."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.termination_file.parent.mkdir(parents=True, exist_ok=True)
        self.termination_file.write_bytes(b"")
        self.termination_file.chmod(0o666)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        if self.state.get("terminated"):
            self.last_state = self.state
        self.state = {"running": {"startedAt": now()}}
        self.exit_code = None

    def wait(self) -> int:
        """Wait for the process; record the terminated state; return the exit code."""
        if self.proc is None:
            raise RuntimeError(f"container {self.name} was never started")
        code = self.proc.wait()
        code = 128 - code if code < 0 else code
        # The sandbox leader is gone: nothing of the group may linger.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        started = self.state.get("running", {}).get("startedAt", now())
        terminated: dict[str, Any] = {
            "exitCode": code,
            "reason": "Completed" if code == 0 else "Error",
            "startedAt": started,
            "finishedAt": now(),
            "containerID": f"process://{self.proc.pid}",
        }
        message = self._message(code)
        if message:
            terminated["message"] = message
        self.state = {"terminated": terminated}
        self.exit_code = code
        return code

    def _message(self, code: int) -> str:
        try:
            message = self.termination_file.read_bytes()[:_MESSAGE_LIMIT]
        except OSError:
            message = b""
        if (
            not message.strip()
            and code != 0
            and self.spec.get("terminationMessagePolicy") == "FallbackToLogsOnError"
        ):
            with contextlib.suppress(OSError):
                message = b"\n".join(self.log.read_bytes().splitlines()[-80:])[-_FALLBACK_LIMIT:]
        return message.decode(errors="replace")

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the container's whole process group."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def stop(self, grace: float) -> None:
        """SIGTERM the container's processes, SIGKILL the group after ``grace`` seconds.

        SIGTERM goes to every process of the group except bubblewrap's monitor (the group
        leader), which would otherwise die at once and end the grace period early.
        """
        if self.proc is None or self.proc.poll() is not None:
            return
        if grace > 0:
            for pid in group_members(self.proc.pid):
                if pid != self.proc.pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        self.signal(signal.SIGKILL)

    def status(self, image: str) -> dict[str, Any]:
        """The ``containerStatuses`` entry for this container."""
        entry: dict[str, Any] = {
            "name": self.name,
            "image": image,
            "imageID": self.image_id,
            "ready": self.running,
            "started": self.running,
            "restartCount": self.restart_count,
            "state": self.state,
            "lastState": self.last_state,
        }
        if self.proc is not None:
            entry["containerID"] = f"process://{self.proc.pid}"
        return entry


def group_members(pgid: int) -> list[int]:
    """Pids of the processes in process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members
