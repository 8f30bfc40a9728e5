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
from tests.bench.engine_bench import PEAK_RSS
from tests.bench.report import MiB, Row, Section, write_report
from tests.bench.session import Bench
from tests.bench.settings import LARGE_SIZE, REFERENCE_SIZE
from tests.support.s3 import S3Server
from tests.support.storegen import parse_size


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
    write_report(bench.report)
    assert all(row.series.values for row in section.rows)
