"""A child process's own peak RSS, untainted by the parent that started it.

``wait4``'s ``ru_maxrss`` is not enough: Linux carries the high-water mark of the forking
process into the child across ``exec``, so a child of a pytest process that has grown to
700 MiB reports at least 700 MiB. GNU time forks the command from its own small process and
reports the command's peak alone.
"""

from __future__ import annotations

from pathlib import Path

GNU_TIME = "/usr/bin/time"


def with_peak_rss(argv: list[str], report: Path) -> list[str]:
    """Prefix ``argv`` so GNU time writes the command's peak RSS (KiB) to ``report``."""
    if not Path(GNU_TIME).exists():
        raise FileNotFoundError(f"{GNU_TIME} is missing; `apt-get install time` (make deps does)")
    return [GNU_TIME, "-f", "%M", "-o", str(report), *argv]


def read_peak_rss(report: Path) -> int:
    """The peak RSS in KiB that GNU time wrote (its last line; a failed command adds one)."""
    return int(report.read_text().split()[-1])
