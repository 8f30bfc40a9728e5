"""What an engine's figures say, in sentences: missed targets and their likely causes.

Every statement is computed from the figures of the same run (the diagnostic rows exist for
this), so the text never outlives the numbers it explains.
"""

from __future__ import annotations

from tests.bench.report import Row
from tests.bench.rows import DUMP_OVERHEAD, Rows

#: Machine-wide busy share above which the machine counts as saturated.
SATURATED = 0.9


def findings(rows: Rows, engine: str, *, cores: int) -> list[str]:
    """Plain statements about missed targets and their likely causes, from the figures."""
    out: list[str] = []
    dump, null = rows.dump.series, rows.null.series
    if not (dump and null):
        return out
    tool = "pg_dump" if engine == "postgresql" else "mariadb-dump"
    hashing, hashing_cpu = _median(rows.hashing), _median(rows.hashing_cpu)
    counts = _median(rows.counts)
    bare = rows.no_fingerprints.ratio or 0.0
    agent_cores = _median(rows.cpu) / null.median
    if rows.null.met is False:
        out.append(
            f"**Missed:** Strongroom's backup takes {rows.null.ratio or 0:.2f}x the plain {tool} "
            f"time (target ≤ 1.3x). With the fingerprints stubbed out the same pipeline "
            f"(dump → zstd → AES-GCM → sha256 → part buffers) takes {bare:.2f}x {tool}, of "
            f"which {_median(rows.startup):.2f} s is the agent's Python start-up. The "
            "fingerprints are taken from the dump stream: "
            + (
                f"hashing the dump file alone takes {hashing:.1f} s ({hashing_cpu:.1f} s of the "
                "agent's CPU, in its reading thread), and counting every table's rows in the "
                f"snapshot {counts:.1f} s ({counts / dump.median:.2f}x the dump) of the "
                "server's work, concurrently with the dump."
                if engine == "postgresql"
                else f"hashing the dump file and counting its rows alone takes {hashing:.1f} s "
                f"({hashing_cpu:.1f} s of the agent's CPU, in its reading thread); no database "
                "session counts rows."
            )
            + " The agent (with its dump tool) kept "
            f"{agent_cores:.2f} cores busy on average while the machine had "
            f"{_median(rows.busy):.2f} of its {cores} cores busy"
            + _contention(_median(rows.busy), cores)
            + (
                f" The pipeline alone also misses the target ({bare:.2f}x)."
                if rows.no_fingerprints.ratio is not None and bare > DUMP_OVERHEAD.value
                else ""
            )
        )
        out.extend(_cpu_budget(rows, tool, cores))
    elif rows.null.met:
        out.append(
            f"Strongroom's backup takes {rows.null.ratio or 0:.2f}x the plain {tool} time "
            "(target ≤ 1.3x)."
        )
    if rows.naive.met is False:
        out.append(
            f"**Missed:** the naive pipeline takes {rows.naive.ratio or 0:.2f}x Strongroom's "
            "time (target: Strongroom ≥ 3x faster). gzip -6 and openssl run in their own "
            "processes, in parallel with the dump, so the naive pipeline costs about its slowest "
            "stage (gzip), and it computes no fingerprints; against Strongroom's pipeline with "
            f"the fingerprints stubbed out it takes {_naive_vs_bare(rows):.2f}x."
        )
    if rows.data_size.met is False:
        out.append(
            f"**Missed:** the data object is {rows.data_size.ratio or 0:.3f}x the size of "
            "`zstd -3` of the same dump (target ≤ 1.1x)."
        )
    out.extend(
        f"**Missed:** {row.label} is {row.series.median:.0f} MiB (target ≤ 128 MiB)."
        for row in (rows.rss_null, rows.rss_s3)
        if row.met is False
    )
    if rows.s3.series and rows.endpoint_upload.series:
        s3 = rows.s3.series
        upload = f"{rows.endpoint_upload.series.median:.1f} s"
        if s3.low <= null.high and null.low <= s3.high:
            out.append(
                "The S3-sink and null-sink backups overlap (min to max), so the local endpoint's "
                "cost is within this session's run-to-run noise; uploading as many random bytes "
                f"with boto3 alone takes {upload}."
            )
        else:
            out.append(
                f"The local S3 endpoint adds {s3.median - null.median:.1f} s to the backup; "
                f"uploading as many random bytes with boto3 alone takes {upload} (moto's own "
                "cost, in Python)."
            )
    if rows.verify.series and rows.restore.series and rows.verify_restore.series:
        out.append(
            f"Verification takes {rows.verify.ratio or 0:.2f}x the plain restore: it reads the "
            "object twice (the integrity pass before anything reaches the restore tool, then "
            "the restore pass), restores "
            f"({rows.verify_restore.series.median:.1f} s, "
            f"{rows.verify_restore.ratio or 0:.2f}x the plain restore) and fingerprints the "
            "restored tables."
        )
    return out


def _contention(busy: float, cores: int) -> str:
    if busy >= SATURATED * cores:
        return (
            ": the machine was saturated — the dump tool, two database backends (dump and "
            "row counts), zstd, encryption and the stream hashing compete for its cores."
        )
    return f"; on average {cores - busy:.2f} of its cores stayed idle."


def _cpu_budget(rows: Rows, tool: str, cores: int) -> list[str]:
    """Whether the backup's measured work could fit in the target time on this machine at all.

    The machine-wide CPU time of the backup (cores busy x wall time, servers included) is the
    work to be done; at the target the machine offers ``cores x 1.3 x`` the dump's time. When
    the work exceeds that, no overlap of the same work meets the target.
    """
    dump, dump_busy = _median(rows.dump), _median(rows.dump_busy)
    work = _median(rows.busy) * _median(rows.null)
    capacity = cores * DUMP_OVERHEAD.value * dump
    if not (dump and dump_busy and work):
        return []
    spare = cores * dump - dump_busy * dump
    head = (
        f"Why: the plain {tool} alone keeps {dump_busy:.2f} of the {cores} cores busy (the "
        f"dump tool and the database server): {dump_busy * dump:.1f} CPU-seconds in "
        f"{dump:.1f} s, leaving {spare:.1f} spare. Strongroom's backup made the machine do "
        f"{work:.1f} CPU-seconds (servers included); at {DUMP_OVERHEAD.value}x the plain "
        f"dump's time the {cores} cores offer {capacity:.1f}."
    )
    if work > capacity:
        return [
            head + " The work does not fit even if every core were busy throughout: on this "
            "machine the target needs less work per byte (or more cores), not better overlap."
        ]
    return [
        head + f" The work would fit if it overlapped perfectly ({work / cores:.1f} s, "
        f"{work / cores / dump:.2f}x {tool}); the difference is cores left idle while one "
        "stage waits for another."
    ]


def _naive_vs_bare(rows: Rows) -> float:
    bare = _median(rows.no_fingerprints)
    return _median(rows.naive) / bare if bare else 0.0


def _median(row: Row) -> float:
    return row.series.median if row.series else 0.0
