"""The agent's peak memory is the same for a small store and a large one.

``strongroom agent backup`` runs as a child process (as in a Job pod) into the local S3
endpoint, for a 64 MB reference store, the benchmark store (1 GB by default) and, with
``STRONGROOM_BENCH_LARGE=1``, a 4 GB store; its peak RSS is read with ``os.wait4``. The target
is ≤ 128 MiB at every size. The figures go to docs/benchmarks.md; the test fails only when a
backup fails.
"""

from __future__ import annotations

from pathlib import Path

from tests.bench.agent_runs import AgentJobs
from tests.bench.report import MiB, Row, Section, write_report
from tests.bench.rows import PEAK_RSS
from tests.bench.session import Bench
from tests.bench.settings import LARGE_SIZE, REFERENCE_SIZE
from tests.support.s3 import S3Server
from tests.support.storegen import parse_size

#: Peak change across sizes still called flat: two 8 MiB multipart parts.
FLAT_MIB = 16


def test_agent_peak_rss_is_flat_from_64_mb_to_the_benchmark_size(
    bench: Bench, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    settings = bench.settings
    sizes = sorted(
        {REFERENCE_SIZE, settings.size, *([LARGE_SIZE] if settings.large else [])},
        key=parse_size,
    )
    section = Section("Agent memory: PostgreSQL, `strongroom agent backup` to S3")
    bench.report.memory = section
    client = s3_server.client()
    for size in sizes:
        store = bench.stores("postgresql", size)
        row = section.add(Row(f"peak RSS, {size} store", unit="MiB", target=PEAK_RSS))
        workdir = tmp_path / size
        workdir.mkdir()
        jobs = AgentJobs(
            workdir, engine="postgresql", bucket=bucket, endpoint=s3_server.endpoint_url
        )
        expected = store.database_bytes()
        for _ in range(settings.runs):
            name = jobs.new_backup_name("memory")
            run = jobs.backup_to_s3(jobs.backup_job(name, store.connection, expected_size=expected))
            row.series.add(run.timed.peak_rss_kib / 1024)
            assert run.result.data_size is not None
            assert run.result.plaintext_size is not None
            folder = jobs.data_key(name).rsplit("/", 1)[0]
            for key in (f"{folder}/data.sr", f"{folder}/manifest.json"):
                client.delete_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
            row.note = f"dump {run.result.plaintext_size / MiB:,.0f} MiB"
    if not settings.large:
        section.facts.append(
            "The 4 GB store was not measured: it runs only with `STRONGROOM_BENCH_LARGE=1`, "
            "because generating it takes several times the 1 GB generation time and about "
            "10 GB of disk on this shared 2-core machine."
        )
    section.facts.append(
        "Peak RSS is the larger of the agent's own peak and that of the dump tool it ran "
        "(the kernel's `wait4` accounting), never their sum."
    )
    section.findings += memory_findings(section.rows)
    write_report(bench.report)
    assert all(row.series.values for row in section.rows)


def memory_findings(rows: list[Row]) -> list[str]:
    """How much the peak moved between the smallest and the largest store, and any miss."""
    out = []
    first, last = rows[0], rows[-1]
    if first is not last:
        change = last.series.median - first.series.median
        shape = (
            "within about two multipart parts: memory is set by the interpreter, boto3 and a few "
            "fixed buffers (1 MiB reads, one encryption segment, the part being filled and the "
            "one being sent), not by the database size"
            if abs(change) <= FLAT_MIB
            else "**more than two multipart parts: memory grows with the database**"
        )
        out.append(
            f"From the smallest to the largest store the median peak changed by {change:+.1f} "
            f"MiB ({first.series.median:.1f} → {last.series.median:.1f} MiB), {shape}."
        )
    out.extend(
        f"**Missed:** {row.label}: {row.series.median:.1f} MiB (target ≤ 128 MiB)."
        for row in rows
        if row.met is False
    )
    return out
