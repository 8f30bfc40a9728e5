"""Running dump and restore tools safely: secrets as 0600 files, stderr kept small and scrubbed.

Shared by every engine module (it knows no engine). The rules it enforces:

* a password reaches a tool only through a file in a private 0700 directory, written 0600 and
  removed when the tool is done — never argv, never an environment value holding it;
* a tool's stderr is drained continuously (so it can never block on a full pipe) and only its
  last lines are kept, for the error message;
* every message built from tool output passes :func:`scrub` first.

It also runs a dump (:class:`RunningDump`): its stdout feeds the engine's stream hasher (see
:mod:`strongroom.engines.streamhash`) on every read, and its fingerprints join those hashes
with the row counts taken in the dump's snapshot.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import functools
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO, cast

from strongroom.api.erasure import ErasureDelete
from strongroom.api.fingerprints import TableFingerprint
from strongroom.engines.streamhash import StreamHasher, join_fingerprints
from strongroom.errors import EngineError

#: Environment variables that could carry a password into a child; always removed.
_SECRET_ENV = ("PGPASSWORD", "MYSQL_PWD", "MARIADB_PWD")
_PASSWORD_PATTERNS = (
    re.compile(r"(?i)(password\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)"),
    re.compile(r"(?i)(identified\s+by\s+)('[^']*'|\"[^\"]*\")"),
)
_STDERR_LINES = 20
_LINE_CHARS = 300
#: Quoted text in a tool message: an identifier stays readable, anything else may be row data.
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_IDENTIFIER = re.compile(r"[\w.$`-]{1,64}")
#: Lines some tools add after an error that quote statements or rows (PostgreSQL, MariaDB).
_DATA_LINES = re.compile(r"^\s*(DETAIL|CONTEXT|Command was|LINE \d+|QUERY|STATEMENT)\b|^-{5,}$")
_COPY_CHUNK = 1 << 20


def scrub(text: str, secrets: Sequence[str | None] = ()) -> str:
    """Remove passwords from ``text``: the known secrets verbatim and ``password=...`` shapes."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern in _PASSWORD_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def redact_values(line: str) -> str:
    """Replace quoted literals that are not plain identifiers (they may be row data) by '…'."""

    def repl(match: re.Match[str]) -> str:
        text = match.group(0)
        return text if _IDENTIFIER.fullmatch(text[1:-1]) else text[0] + "…" + text[0]

    line = _QUOTED.sub(repl, line)
    return line if len(line) <= _LINE_CHARS else line[:_LINE_CHARS] + "…"


def is_error_line(line: str) -> bool:
    """Whether a stderr line is worth an error message (not a statement or data echo)."""
    return bool(line.strip()) and not _DATA_LINES.search(line)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a tool: ours without password variables, plus ``extra`` (file paths)."""
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV}
    env.update(extra or {})
    return env


@contextlib.contextmanager
def private_dir() -> Iterator[Path]:
    """A fresh 0700 directory for secret files, removed with its content on exit."""
    path = Path(tempfile.mkdtemp(prefix="strongroom-secrets-"))
    try:
        path.chmod(0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_secret_file(path: Path, content: str) -> Path:
    """Create ``path`` with mode 0600 (never wider, even for an instant) holding ``content``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    return path


def find_tool(*names: str, search: Sequence[Path] = ()) -> str:
    """Return the first of ``names`` found on PATH or in ``search`` directories.

    Raises:
        EngineError: None is installed; the message names what to install.
    """
    for name in names:
        found = shutil.which(name)
        if found:
            return found
        for directory in search:
            candidate = directory / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    raise EngineError(
        f"none of {', '.join(names)} is installed; the operator image must carry the client tools",
        reason="DatabaseToolMissing",
    )


def tool_version(tool: str) -> str:
    """The first line of ``tool --version`` (e.g. ``pg_dump (PostgreSQL) 15.18``)."""
    out = subprocess.run(
        [tool, "--version"], capture_output=True, text=True, check=False, timeout=30
    )
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


@functools.cache
def _large_stdout_buffer() -> tuple[str, ...]:
    """``stdbuf -o1M`` when coreutils' ``stdbuf`` is installed (the agent image has it).

    The dump tools write their output through C stdio, which on a pipe flushes every 4 KiB:
    about 150,000 writes, each a copy and a wake-up of the reader, per GB dumped. With a
    1 MiB buffer the same dump takes a few hundred writes. Without ``stdbuf`` the tool
    runs as it is: same output, more system calls.
    """
    found = shutil.which("stdbuf")
    return (found, f"-o{_COPY_CHUNK}") if found else ()


class ToolProcess:
    """One dump or restore tool, its stderr drained by a thread into a bounded tail."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        secrets: Sequence[str | None],
        stdin: int = subprocess.DEVNULL,
        stdout: int = subprocess.DEVNULL,
        progress_prefix: str | None = None,
        milestone: str | None = None,
        keep: Callable[[str], bool] = is_error_line,
    ) -> None:
        self.tool = Path(argv[0]).name
        if stdout == subprocess.PIPE:
            argv = [*_large_stdout_buffer(), *argv]
        self._keep = keep
        self._secrets = list(secrets)
        self._tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self._progress_prefix = progress_prefix
        self._milestone = milestone
        #: Set when a progress line follows ``milestone`` (that step is done) or stderr closes.
        self.milestone_passed = threading.Event()
        try:
            self.proc = subprocess.Popen(
                list(argv),
                stdin=stdin,
                stdout=stdout,
                stderr=subprocess.PIPE,
                env=dict(env),
                start_new_session=True,
            )
        except OSError as exc:
            raise EngineError(f"{self.tool} could not be started: {exc.strerror}") from exc
        if self.proc.stdout is not None:
            widen_pipe(self.proc.stdout.fileno())
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None  # noqa: S101 - set by Popen above
        seen_milestone = False
        try:
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if self._progress_prefix is None or not line.startswith(self._progress_prefix):
                    if self._keep(line):
                        self._tail.append(redact_values(line))
                elif seen_milestone:
                    self.milestone_passed.set()
                elif line == self._milestone:
                    seen_milestone = True
        finally:
            self.milestone_passed.set()

    def stderr_tail(self) -> str:
        """The last lines the tool wrote to stderr, passwords scrubbed."""
        self._drain.join(timeout=5)
        return scrub(" | ".join(line for line in self._tail if line), self._secrets)

    def wait(self) -> int:
        """Wait for the tool to exit and return its exit code (negative: killed by a signal)."""
        code = self.proc.wait()
        self._drain.join(timeout=5)
        return code

    def stop(self) -> None:
        """Kill the tool (and anything it started) if it is still running, then reap it."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def failure(self, what: str, code: int | None = None) -> EngineError:
        """An :class:`EngineError` naming the tool, its exit code and its last stderr lines."""
        code = self.proc.returncode if code is None else code
        if code is not None and code < 0:
            status = f"was killed by signal {-code}"
        else:
            status = f"exited with code {code}"
        tail = self.stderr_tail() or "(no error output)"
        return EngineError(f"{self.tool} {status} during {what}: {tail}")

    def scrub(self, text: str) -> str:
        """Scrub ``text`` with this tool's secrets."""
        return scrub(text, self._secrets)


def widen_pipe(fd: int, size: int = _COPY_CHUNK) -> None:
    """Grow a pipe to ``size`` bytes (Linux, best effort): fewer wake-ups per MiB streamed."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)


class TailReader(io.RawIOBase):
    """A read-only stream over a tool's stdout that remembers the first and last bytes read.

    ``observer`` sees every block read, in order (the dump's stream hasher). Reads are
    whole: ``read(n)`` waits for ``n`` bytes (or the end), so the pipeline compresses full
    chunks. The block read from the pipe is the one handed on, with no copy of it: the dump
    passes through here byte for byte, and on a small machine every extra pass over it is
    CPU the dump tool and the database server need.
    """

    def __init__(
        self,
        inner: BinaryIO,
        *,
        keep: int = 256,
        observer: Callable[[bytes], None] | None = None,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._observer = observer
        self._keep = keep
        self.head = b""
        self.tail = b""
        self.total = 0
        self.eof = False

    def readable(self) -> bool:
        """Always readable."""
        return True

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); ``b""`` at the end."""
        if size == 0:
            return b""
        want = -1 if size is None or size < 0 else size
        whole = want < 0
        data = self._inner.read(want)
        self._record(data)
        self.eof = self.eof or whole
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Read into ``buffer`` (for wrappers that need it; :meth:`read` copies less)."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _record(self, data: bytes) -> None:
        n = len(data)
        if n == 0:
            self.eof = True
            return
        if self._observer is not None:
            self._observer(data)
        if len(self.head) < self._keep:
            self.head += data[: self._keep - len(self.head)]
        self.tail = (self.tail + data[-self._keep :])[-self._keep :]
        self.total += n


def feed(source: BinaryIO, sink: BinaryIO) -> None:
    """Copy ``source`` into a tool's stdin until EOF; a tool that exits early ends the copy."""
    try:
        while chunk := source.read(_COPY_CHUNK):
            sink.write(chunk)
    except (BrokenPipeError, ValueError):  # the tool exited, or was stopped and its pipe closed
        pass
    finally:
        with contextlib.suppress(BrokenPipeError, OSError):
            sink.close()


class RunningDump:
    """A running dump tool, its stream hasher and the row counts of its snapshot.

    Every block read from :attr:`stdout` feeds ``hasher`` (in the reading thread; hashlib
    releases the GIL on large updates). ``counts`` is either filled by the engine's snapshot
    session, concurrently with the stream, or a function that returns them once the stream
    was read (a hasher that counts rows itself). Subclasses add the engine's own completeness
    check in
    :meth:`check_output`, called by :meth:`finish` after the output was read to the end and
    the tool exited 0.
    """

    #: The database driver's error type raised by the counting session.
    driver_error: type[Exception] = Exception

    def __init__(
        self,
        proc: ToolProcess,
        hasher: StreamHasher,
        counts: Future[dict[str, int]] | Callable[[], dict[str, int]],
    ) -> None:
        assert proc.proc.stdout is not None  # noqa: S101 - opened with stdout=PIPE
        self._proc = proc
        self._hasher = hasher
        self._reader = TailReader(cast("BinaryIO", proc.proc.stdout), observer=hasher.feed)
        self._stdout = cast("BinaryIO", self._reader)
        self._counts = counts
        self.pid = proc.proc.pid

    @property
    def stdout(self) -> BinaryIO:
        """The dump as the tool writes it."""
        return self._stdout

    @property
    def fingerprints(self) -> tuple[TableFingerprint, ...]:
        """Row counts of the snapshot joined with the stream's hashes (after stdout's EOF).

        Raises:
            EngineError: stdout was not read to the end, the stream is malformed, the counts
                failed, or the two table lists differ.
        """
        if not self._reader.eof:
            raise EngineError(
                f"{self._proc.tool} output was not read to the end; no fingerprints yet"
            )
        digests = self._hasher.finish()
        if callable(self._counts):
            return join_fingerprints(self._counts(), digests, tool=self._proc.tool)
        try:
            counts = self._counts.result()
        except self.driver_error as exc:
            raise EngineError(
                f"counting the rows of the dumped snapshot failed: {self._proc.scrub(str(exc))}",
                reason="DatabaseUnavailable",
            ) from exc
        return join_fingerprints(counts, digests, tool=self._proc.tool)

    def finish(self) -> None:
        """Check the output was read whole, the tool exited 0, the output is complete."""
        if not self._reader.eof:
            self._proc.stop()
            raise EngineError(f"{self._proc.tool} output was not read to the end; incomplete")
        code = self._proc.wait()
        if code != 0:
            raise self._proc.failure("the dump", code)
        self.check_output(self._reader)
        _ = self.fingerprints

    def check_output(self, reader: TailReader) -> None:
        """Raise :class:`EngineError` when the tool's output is not a whole dump."""


def drain(dump: RunningDump) -> tuple[TableFingerprint, ...]:
    """Read a dump to its end, discarding the bytes; return its fingerprints.

    This is ``Engine.fingerprints``: the same dump and the same hashing as a backup, so a
    restored database fingerprints exactly like the snapshot it came from.
    """
    while dump.stdout.read(_COPY_CHUNK):
        pass
    dump.finish()
    return dump.fingerprints


def run_restore(
    argv: Sequence[str],
    source: BinaryIO,
    *,
    env: Mapping[str, str],
    secrets: Sequence[str | None],
    target: str,
    keep: Callable[[str], bool] = is_error_line,
) -> None:
    """Feed ``source`` to a restore tool's stdin, wait, and raise unless it exited 0.

    Raises:
        EngineError: The tool failed; the message names ``target`` and the tool's last
            (scrubbed) error lines.
    """
    proc = ToolProcess(argv, env=env, secrets=secrets, stdin=subprocess.PIPE, keep=keep)
    try:
        assert proc.proc.stdin is not None  # noqa: S101 - opened with stdin=PIPE
        feed(source, cast("BinaryIO", proc.proc.stdin))
        code = proc.wait()
    finally:
        proc.stop()
    if code != 0:
        raise proc.failure(f"the restore into {target}", code)


def erasure_incomplete(table: str, left: object) -> EngineError:
    """The error for rows that still match an erasure entry after its delete (rolled back)."""
    return EngineError(
        f"erasure in {table}: {left} row(s) still match after the delete; "
        "the entry was rolled back",
        reason="ErasureIncomplete",
    )


def erasure_failed(
    table: str, detail: str, password: str | None, deletes: Sequence[ErasureDelete]
) -> EngineError:
    """The error for a failed erasure: the server's text without the password or any key value.

    Key values are personal data, so every one of the entry's values is scrubbed (longest
    first, so no shorter value leaves part of a longer one behind), as are quoted values.
    """
    keys = sorted({v for step in deletes for v in step.values}, key=len, reverse=True)
    text = scrub(redact_values(detail), [password, *keys])
    return EngineError(f"erasure in {table} failed: {text}", reason="ErasureFailed")
