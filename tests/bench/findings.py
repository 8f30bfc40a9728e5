"""What an engine's figures say, in sentences: missed targets and their likely causes.

Every statement is computed from the figures of the same run (the diagnostic rows exist for
this), so the text never outlives the numbers it explains.
"""

from __future__ import annotations

from tests.bench.report import Row
from tests.bench.rows import DUMP_OVERHEAD, Rows

#: Machine-wide busy share above which the machine counts as saturated.
SATURATED = 0.9
#: Agent CPU below this many cores means its threads mostly ran one at a time.
ONE_CORE = 1.25


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
            "fingerprints are taken from the dump stream: hashing the dump file alone takes "
            f"{hashing:.1f} s ({hashing_cpu:.1f} s of the agent's CPU, in its reading thread), "
            f"and counting every table's rows in the snapshot {counts:.1f} s "
            f"({counts / dump.median:.2f}x the dump) of the server's work, concurrently with "
            "the dump. The agent (with its dump tool) kept "
            f"{agent_cores:.2f} cores busy on average while the machine had "
            f"{_median(rows.busy):.2f} of its {cores} cores busy"
            + _contention(agent_cores, _median(rows.busy), cores)
            + (
                f" The pipeline alone also misses the target ({bare:.2f}x)."
                if rows.no_fingerprints.ratio is not None and bare > DUMP_OVERHEAD.value
                else ""
            )
        )
        floor = _work_floor(rows, cores)
        if floor:
            out.append(
                f"Why the target is hard to reach on this machine: the backup does the dump "
                f"({dump.median:.1f} s alone), zstd ({_median(rows.zstd):.1f} s alone), the "
                f"stream hashing ({hashing_cpu:.1f} s of CPU) and the row counts "
                f"({counts:.1f} s alone). Spread perfectly over {cores} cores that work takes "
                f"roughly {floor:.1f} s, {floor / dump.median:.2f}x {tool}, before any other "
                "work on the machine (the database server's side of the dump) takes its share."
            )
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


def _contention(agent_cores: float, busy: float, cores: int) -> str:
    if busy >= SATURATED * cores:
        return (
            ": the machine was saturated — the dump tool, two database backends (dump and "
            "row counts), zstd, encryption and the stream hashing compete for its cores."
        )
    if agent_cores < ONE_CORE:
        return (
            ", so hashing, compression and encryption largely ran one after the other, "
            "not side by side."
        )
    return "."


def _work_floor(rows: Rows, cores: int) -> float:
    """A rough lower bound for the backup: its parts' times alone, over every core."""
    parts = (_median(rows.dump), _median(rows.zstd), _median(rows.hashing_cpu))
    if not (all(parts) and cores):
        return 0.0
    return (sum(parts) + _median(rows.counts)) / cores


def _naive_vs_bare(rows: Rows) -> float:
    bare = _median(rows.no_fingerprints)
    return _median(rows.naive) / bare if bare else 0.0


def _median(row: Row) -> float:
    return row.series.median if row.series else 0.0
