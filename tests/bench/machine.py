"""The machine and tool versions a benchmark ran on, for the report's header.

Figures are only comparable on the same machine, so the report states the CPU model, cores,
memory, the load average before and after (other work on a shared machine shows there), and
the versions of Python, the database servers and tools, zstd and OpenSSL.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import zstandard
from tests.support.postgres import BINDIR


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)
    except OSError:
        return "not installed"
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "unknown"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def _memory_gib() -> float:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^MemTotal:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / (1024 * 1024) if match else 0.0


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    return os.getloadavg()


@dataclass(frozen=True)
class Machine:
    """Where the figures come from."""

    cpu: str
    cores: int
    memory_gib: float
    kernel: str
    versions: dict[str, str]

    @classmethod
    def describe(cls) -> Machine:
        """Read /proc and ask each tool for its version."""
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 0,
            memory_gib=_memory_gib(),
            kernel=platform.release(),
            versions={
                "Python": platform.python_version(),
                "PostgreSQL (server, pg_dump)": _first_line(
                    [str(BINDIR / "postgres"), "--version"]
                ),
                "MariaDB (server)": _first_line(["mariadbd", "--version"]),
                "mariadb-dump": _first_line(["mariadb-dump", "--version"]),
                "zstd CLI": _first_line(["zstd", "--version"]),
                "zstandard (Python)": f"{zstandard.__version__} (libzstd {_libzstd()})",
                "gzip": _first_line(["gzip", "--version"]),
                "OpenSSL": _first_line(["openssl", "version"]),
            },
        )


def _libzstd() -> str:
    major, minor, patch = zstandard.ZSTD_VERSION
    return f"{major}.{minor}.{patch}"
