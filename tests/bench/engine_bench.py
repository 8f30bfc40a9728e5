"""One engine's benchmark: Strongroom's backup and verification against the native tools.

For a generated store it measures, runs interleaved so drift hits every contender alike:

* the native dump to /dev/null (the baseline), the naive ``dump | gzip | openssl enc``
  pipeline, and Strongroom's backup (the agent in a child process) into a discarding store and
  into the local S3 endpoint, plus a plain boto3 upload of as many random bytes (the endpoint's
  own cost);
* the sizes: the native dump, ``zstd -3`` of it, and Strongroom's data object;
* the parts of Strongroom's work on their own, to explain the ratios: the table fingerprints
  (the dump file through the engine's stream hasher, which also counts MariaDB's rows, and
  PostgreSQL's row counts in one snapshot; MariaDB's snapshot count only for comparison), and
  ``zstd -3`` of the dump file;
* the native restore of the dump into an empty database, and ``strongroom agent verify``
  (integrity pass, restore into scratch, fingerprints), plus a plain download of the object.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.bench import baselines
from tests.bench.agent_runs import AgentJobs, AgentRun, agent_env
from tests.bench.findings import findings
from tests.bench.measure import run_timed, shell
from tests.bench.report import MiB, Report, Section
from tests.bench.rows import Rows, engine_rows
from tests.bench.settings import ROOT
from tests.bench.stores import BenchStore
from tests.support.s3 import S3Server

from strongroom.engines import Connection, engine_for, mysql, postgres
from strongroom.engines.base import read_password
from strongroom.storage.parts import part_size_for

ENGINE_TITLES = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}
#: What the agent imports before it does any work (its fixed start-up cost).
AGENT_IMPORTS = (
    "import strongroom.agent.backup, strongroom.agent.config, strongroom.engines.postgres, "
    "strongroom.engines.mysql, strongroom.storage.s3"
)


@dataclass
class EngineBench:
    """Everything one engine's benchmark needs."""

    store: BenchStore
    s3: S3Server
    bucket: str
    tmp: Path
    report: Report

    def __post_init__(self) -> None:
        self.engine = self.store.engine
        self.runs = self.report.settings.runs
        self.secrets = self.tmp / "secrets"
        self.secrets.mkdir(mode=0o700, exist_ok=True)
        self.passphrase = self.secrets / "naive-passphrase"
        self.passphrase.write_text(os.urandom(24).hex())
        self.restore_db = "restore_baseline"
        target = self.store.admin(self.restore_db)
        make = (
            baselines.postgres_commands
            if self.engine == "postgresql"
            else (baselines.mariadb_commands)
        )
        self.commands = make(self.store.connection, self.secrets, target)
        self.jobs = AgentJobs(
            self.tmp, engine=self.engine, bucket=self.bucket, endpoint=self.s3.endpoint_url
        )
        self.client: Any = self.s3.client()
        self.dump_file = self.tmp / "native.dump"
        self.random_file = self.tmp / "random.bin"

    # -- one-off measurements ------------------------------------------------------------
    def _native_dump_file(self, rows: Rows) -> None:
        run_timed(shell(self.commands.dump_to(str(self.dump_file))), env=self.commands.env)
        rows.dump_size.series.add(self.dump_file.stat().st_size)
        for _ in range(self.runs):
            timed = run_timed(
                shell(f"zstd -3 -T1 -q -c {shlex.quote(str(self.dump_file))} | wc -c")
            )
            rows.zstd.series.add(timed.seconds)
        rows.zstd_size.series.add(int(timed.stdout.strip()))

    def _fingerprint_parts(self, rows: Rows) -> None:
        """The halves of dump-time fingerprints on their own: hashing the dump, counting rows."""
        for _ in range(self.runs):
            hasher = _stream_hasher(self.engine)
            cpu, started = _own_cpu(), time.perf_counter()
            with self.dump_file.open("rb") as dump:
                while block := dump.read(MiB):
                    hasher.feed(block)
            hasher.finish()
            rows.hashing.series.add(time.perf_counter() - started)
            rows.hashing_cpu.series.add(_own_cpu() - cpu)
            started = time.perf_counter()
            _count_rows(self.engine, self.store.connection, hasher)
            rows.counts.series.add(time.perf_counter() - started)

    def _random_file(self, size: int) -> None:
        with self.random_file.open("wb") as out:
            left = size
            while left > 0:
                out.write(os.urandom(min(left, 8 * MiB)))
                left -= 8 * MiB

    def _endpoint_upload(self, rows: Rows, *, part_size: int) -> None:
        from boto3.s3.transfer import TransferConfig  # noqa: PLC0415

        config = TransferConfig(
            multipart_threshold=part_size, multipart_chunksize=part_size, use_threads=False
        )
        key = "endpoint-alone/random.bin"
        started = time.perf_counter()
        self.client.upload_file(str(self.random_file), self.bucket, key, Config=config)
        rows.endpoint_upload.series.add(time.perf_counter() - started)
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def _endpoint_download(self, rows: Rows, key: str) -> None:
        started = time.perf_counter()
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        while body.read(MiB):
            pass
        rows.endpoint_download.series.add(time.perf_counter() - started)

    # -- the interleaved backup runs -------------------------------------------------------
    def backups(self, rows: Rows, *, expected_size: int) -> str:
        """Run every backup contender ``runs`` times; return the last S3 backup's name."""
        last = ""
        for number in range(self.runs):
            dump = run_timed(shell(self.commands.dump_to("/dev/null")), env=self.commands.env)
            rows.dump.series.add(dump.seconds)
            rows.dump_busy.series.add(dump.busy_cores)
            rows.naive.series.add(
                run_timed(
                    shell(self.commands.naive(self.passphrase)), env=self.commands.env
                ).seconds
            )
            null = self._backup(rows, expected_size=expected_size, to_s3=False)
            job = self.jobs.backup_job(
                self.jobs.new_backup_name("nofp"),
                self.store.connection,
                expected_size=expected_size,
            )
            bare = self.jobs.backup_to_null(job, skip_fingerprints=True)
            rows.no_fingerprints.series.add(bare.timed.seconds)
            startup = run_timed([sys.executable, "-c", AGENT_IMPORTS], env=agent_env(), cwd=ROOT)
            rows.startup.series.add(startup.seconds)
            if number == 0:
                self._random_file(_size(null))
            s3 = self._backup(rows, expected_size=expected_size, to_s3=True)
            if last:
                self._delete_backup(last)
            last = s3.result.data_key or ""
            self._endpoint_upload(rows, part_size=part_size_for(expected_size))
        return last

    def _backup(self, rows: Rows, *, expected_size: int, to_s3: bool) -> AgentRun:
        name = self.jobs.new_backup_name("s3" if to_s3 else "null")
        job = self.jobs.backup_job(name, self.store.connection, expected_size=expected_size)
        run = self.jobs.backup_to_s3(job) if to_s3 else self.jobs.backup_to_null(job)
        result = run.result
        assert result.data_size is not None
        assert result.compressed_size is not None
        assert result.plaintext_size is not None
        assert result.data_size > result.compressed_size > 0
        # The dump the agent compressed is the same size as the native dump, give or take.
        assert abs(result.plaintext_size - rows.dump_size.series.median) < (
            0.02 * rows.dump_size.series.median + 64 * 1024
        )
        if to_s3:
            rows.s3.series.add(run.timed.seconds)
            rows.rss_s3.series.add(run.timed.peak_rss_kib / 1024)
            head = self.client.head_object(Bucket=self.bucket, Key=result.data_key)
            assert head["ContentLength"] == result.data_size
        else:
            rows.null.series.add(run.timed.seconds)
            rows.cpu.series.add(run.timed.cpu_seconds)
            rows.busy.series.add(run.timed.busy_cores)
            rows.rss_null.series.add(run.timed.peak_rss_kib / 1024)
            rows.data_size.series.add(result.data_size)
        return run

    def _delete_backup(self, data_key: str) -> None:
        folder = data_key.rsplit("/", 1)[0]
        for name in ("data.sr", "manifest.json"):
            self.client.delete_object(Bucket=self.bucket, Key=f"{folder}/{name}")

    # -- restores --------------------------------------------------------------------------
    def restores(self, rows: Rows, data_key: str) -> None:
        """Native restore and Strongroom verify, interleaved, ``runs`` times each."""
        backup = data_key.rsplit("/", 2)[-2]
        admin = self.store.admin(self.store.connection.database)
        engine = engine_for(self.engine)
        for _ in range(self.runs):
            engine.drop_database(admin, self.restore_db)
            engine.create_database(admin, self.restore_db)
            timed = run_timed(
                self.commands.restore_argv, env=self.commands.env, stdin=self.dump_file
            )
            rows.restore.series.add(timed.seconds)
            engine.drop_database(admin, self.restore_db)

            job = self.jobs.verify_job(backup, admin, "verify_scratch")
            run = self.jobs.verify(job)
            assert run.result.level_reached == "equivalence"
            assert run.result.restore_seconds is not None
            rows.verify.series.add(run.timed.seconds)
            rows.verify_restore.series.add(run.result.restore_seconds)
            self._endpoint_download(rows, data_key)

    def profile(self, section: Section, *, expected_size: int) -> str:
        """One more null-sink backup under cProfile; the top functions as Markdown."""
        import pstats  # noqa: PLC0415

        out = self.tmp / "backup.prof"
        name = self.jobs.new_backup_name("profile")
        job = self.jobs.backup_job(name, self.store.connection, expected_size=expected_size)
        run = self.jobs.backup_to_null(job, profile=out)
        stats = pstats.Stats(str(out))
        entries = sorted(
            stats.stats.items(),  # type: ignore[attr-defined]
            key=lambda item: item[1][2],
            reverse=True,
        )
        total = sum(item[1][2] for item in entries) or 1.0
        lines = [
            "",
            (
                f"### {section.title}: cProfile of one null-sink backup "
                f"({run.timed.seconds:.1f} s under the profiler; main thread only)"
            ),
            "",
            "| Function | Own time | Share | Calls |",
            "|---|---:|---:|---:|",
        ]
        for (filename, line, func), (_, calls, own, _, _) in entries[:12]:
            where = func if filename == "~" else f"{_short(filename)}:{line} {func}"
            lines.append(f"| `{where}` | {own:.2f} s | {own / total:.0%} | {calls} |")
        return "\n".join(lines) + "\n"

    def run(self, section: Section) -> Rows:
        """Measure everything and fill ``section``."""
        rows = engine_rows(section, self.commands)
        expected_size = self.store.database_bytes()
        section.facts += [
            (
                f"store: {self.store.size} requested, {expected_size / MiB:,.0f} MiB on disk, "
                f"{sum(self.store.counts.values()):,} rows in {len(self.store.counts)} tables"
            ),
            "store "
            + (
                f"generated in {self.store.generated_seconds:.0f} s (then cached)"
                if self.store.generated_seconds is not None
                else f"restored from the cache in {self.store.prepare_seconds:.0f} s"
            ),
        ]
        try:
            self._native_dump_file(rows)
            self._fingerprint_parts(rows)
            last = self.backups(rows, expected_size=expected_size)
            self.restores(rows, last)
            if self.report.settings.profile:
                self.report.profile += self.profile(section, expected_size=expected_size)
            self._delete_backup(last)
        finally:
            # Gigabytes each; pytest keeps the last few temporary directories.
            self.dump_file.unlink(missing_ok=True)
            self.random_file.unlink(missing_ok=True)
        section.commands += [
            baselines.redact(self.commands.dump_to("/dev/null"), self.secrets),
            baselines.redact(self.commands.naive(self.passphrase), self.secrets),
            baselines.redact(shlex.join(self.commands.restore_argv), self.secrets) + " < dump",
            "zstd -3 -T1 -q -c dump | wc -c",
            "python -m tests.bench.null_sink --job backup.json   # null sink",
            "python -m strongroom agent backup --job backup.json  # S3 sink",
            "python -m strongroom agent verify --job verify.json  # level equivalence",
        ]
        section.findings += findings(rows, self.engine, cores=os.cpu_count() or 1)
        return rows


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stream_hasher(engine: str) -> Any:
    """The engine's own stream hasher, as its dump feeds it."""
    if engine == "postgresql":
        return postgres.stream_hasher()
    return mysql.stream_hasher(count_rows=True)  # mariadb-dump: rows are counted in the stream


def _count_rows(engine: str, conn: Connection, hasher: Any) -> dict[str, int]:
    """The engine's own row counts, in one snapshot, as its dump takes them."""
    password = read_password(conn)
    if engine == "postgresql":
        with contextlib.closing(postgres.connect(conn, password)) as session:
            session.execute(b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return postgres.table_counts(session, hasher)
    session = mysql.connect(conn, password, raw=True)
    try:
        with session.cursor() as cur:
            cur.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
        return mysql.table_counts(session, conn.database)
    finally:
        session.close()


def _size(run: AgentRun) -> int:
    return run.result.data_size or 0


def _short(filename: str) -> str:
    for marker in ("/strongroom/", "/site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def engine_title(engine: str) -> str:
    """``PostgreSQL`` or ``MariaDB``."""
    return ENGINE_TITLES[engine]
