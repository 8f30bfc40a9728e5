"""The process lifecycle the test PostgreSQL and MariaDB servers share.

Both run a database daemon as an unprivileged system user (the daemons refuse root), from a
home directory that user owns, in their own process group, on a free loopback port that
survives ``stop``/``start``/``restart`` (database-outage tests rely on it), logging to a file,
with a serving certificate for ``verify-full`` clients and an admin password kept in a file
(so the engines' password-file path is what the tests exercise). An atexit hook leaves no
stray process or directory. Subclasses supply only what differs: how to initialise the data
directory, the daemon's command line, and how to tell that it accepts logins.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from strongroom.engines.base import Connection
from tests.support.certs import make_certs
from tests.support.ports import free_port

ADMIN_USER = "strongroom_admin"


class DatabaseServerProcess:
    """One database daemon with a data directory owned by ``os_user``."""

    host = "127.0.0.1"
    #: The daemon's name in error messages.
    daemon: str
    #: The signal that shuts the daemon down the way an outage looks to its clients.
    stop_signal: signal.Signals = signal.SIGTERM
    #: The database ``admin_connection`` names when none is asked for.
    default_database: str
    #: The admin's password (a test value chosen to exercise each engine's escaping).
    admin_password: str

    def __init__(
        self, workdir: Path, *, os_user: str, home_prefix: str, password_name: str, log_name: str
    ) -> None:
        self.workdir = workdir
        self.port = free_port()
        self._user = pwd.getpwnam(os_user)
        # tmp_path directories are root-only (0700); the server gets its own directory it owns.
        self._home = Path(tempfile.mkdtemp(prefix=home_prefix))
        os.chown(self._home, self._user.pw_uid, self._user.pw_gid)
        self.datadir = self._home / "data"
        self.password_file = workdir / password_name
        self.log_file = workdir / log_name
        #: CA that signed the server certificate (for ``verify-full`` connections).
        self.ca_file = workdir / "tls" / "ca.crt"
        self._proc: subprocess.Popen[bytes] | None = None
        atexit.register(self._cleanup)

    def init(self) -> None:
        """Create the data directory with an admin login (per engine)."""
        raise NotImplementedError

    def _command(self) -> list[str]:
        """The daemon's command line (per engine)."""
        raise NotImplementedError

    def _wait_ready(self) -> None:
        """Return once the admin can log in over TCP (per engine)."""
        raise NotImplementedError

    def _write_password_file(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.password_file.write_text(self.admin_password + "\n", encoding="utf-8")
        self.password_file.chmod(0o600)

    def _install_certificate(self) -> None:
        """A serving certificate for 127.0.0.1/localhost, readable only by the daemon's user."""
        certs = make_certs(self.workdir / "tls")
        for source, name in ((certs.serving_cert, "server.crt"), (certs.serving_key, "server.key")):
            target = self._home / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            os.chown(target, self._user.pw_uid, self._user.pw_gid)

    def start(self) -> None:
        """Start the server (initialising it the first time) and wait until the admin can log in."""
        if not self.datadir.exists():
            self.init()
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                self._command(),
                user=self._user.pw_uid,
                group=self._user.pw_gid,
                extra_groups=[],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self._home,
            )
        self._wait_ready()

    def _check_running(self) -> None:
        """Fail a readiness wait at once if the daemon has already exited."""
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"{self.daemon} exited with {self._proc.returncode}; see {self.log_file}"
            )

    def stop(self) -> None:
        """Shut the daemon down with ``stop_signal``; SIGKILL its group after 30 s."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(self.stop_signal)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def _cleanup(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        shutil.rmtree(self._home, ignore_errors=True)

    def close(self) -> None:
        """Stop the server and remove its data directory."""
        self.stop()
        self._cleanup()

    def admin_connection(self, database: str | None = None) -> Connection:
        """An all-privileges :class:`Connection` whose password comes from a file."""
        return Connection(
            host=self.host,
            port=self.port,
            database=self.default_database if database is None else database,
            user=ADMIN_USER,
            password_file=self.password_file,
        )
