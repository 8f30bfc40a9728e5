"""The rows of one engine's benchmark section, and the targets they are held to.

Targets come from the project's performance goals: Strongroom's backup within 1.3x of the
plain dump and at least 3x faster than the naive gzip + openssl pipeline, its output within
1.1x of ``zstd -3``, and the agent's peak RSS within 128 MiB at any database size.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.bench.baselines import Commands
from tests.bench.report import Row, Section, Target

#: Targets from the project's performance goals.
DUMP_OVERHEAD = Target(1.3)
NAIVE_SLOWER = Target(3.0, at_most=False)
SIZE_OVERHEAD = Target(1.1)
PEAK_RSS = Target(128, unit="MiB")


@dataclass
class Rows:
    """The rows of one engine's section, filled run by run."""

    dump: Row
    dump_busy: Row
    naive: Row
    null: Row
    s3: Row
    endpoint_upload: Row
    cpu: Row
    busy: Row
    no_fingerprints: Row
    startup: Row
    hashing: Row
    hashing_cpu: Row
    counts: Row
    zstd: Row
    rss_null: Row
    rss_s3: Row
    dump_size: Row
    zstd_size: Row
    data_size: Row
    restore: Row
    verify: Row
    verify_restore: Row
    endpoint_download: Row


def engine_rows(section: Section, labels: Commands) -> Rows:
    """Add every row of an engine section, in reading order, and return them."""
    dump = section.add(Row(f"`{labels.dump_label}` (baseline)", short=labels.dump_short))
    dump_busy = section.add(
        Row(
            "cores busy machine-wide during that dump (the dump tool and the database server)",
            unit="cores",
        )
    )
    null = section.add(
        Row("Strongroom backup, null sink", "Strongroom", ratio_of=dump, target=DUMP_OVERHEAD)
    )
    naive = section.add(Row(f"naive `{labels.naive_label}`", ratio_of=null, target=NAIVE_SLOWER))
    s3 = section.add(Row("Strongroom backup, local S3 (moto) sink", ratio_of=null))
    endpoint_upload = section.add(
        Row("S3 endpoint alone: boto3 multipart upload of as many random bytes")
    )
    cpu = section.add(Row("Strongroom backup CPU time, null sink (agent and dump tool)"))
    busy = section.add(
        Row(
            "cores busy machine-wide during that backup (servers and other work included)",
            unit="cores",
        )
    )
    no_fingerprints = section.add(
        Row(
            "diagnostic: the same backup with the fingerprints (stream hashing, row counts) "
            "stubbed out (not a real backup)",
            ratio_of=dump,
        )
    )
    startup = section.add(Row("agent start-up alone (Python and its imports)", ratio_of=dump))
    in_stream = labels.engine == "mysql"  # mariadb-dump's rows are counted by the hasher
    hashing = section.add(
        Row(
            (
                "fingerprint hashing and row counting alone"
                if in_stream
                else "fingerprint hashing alone"
            )
            + ": the dump file through the engine's stream hasher (part of the backup)",
            ratio_of=dump,
        )
    )
    hashing_cpu = section.add(Row("… CPU time of the agent in it"))
    counts = section.add(
        Row(
            "for comparison, not part of the backup: `COUNT(*)` of every table in one snapshot "
            "(what MySQL's one-line mysqldump needs)"
            if in_stream
            else "row counts alone: `count(*)` of every table in one snapshot (part of the backup)",
            ratio_of=dump,
        )
    )
    zstd = section.add(Row("`zstd -3` of the dump file alone (one thread)", ratio_of=dump))
    rss_null = section.add(Row("agent peak RSS, null sink", unit="MiB", target=PEAK_RSS))
    rss_s3 = section.add(
        Row("agent peak RSS, `strongroom agent backup` to S3", unit="MiB", target=PEAK_RSS)
    )
    dump_size = section.add(Row("native dump size", "dump", unit="bytes"))
    zstd_size = section.add(
        Row("`zstd -3` of the native dump", "zstd -3", unit="bytes", ratio_of=dump_size)
    )
    data_size = section.add(
        Row(
            "Strongroom data object (zstd + AES-256-GCM)",
            unit="bytes",
            ratio_of=zstd_size,
            target=SIZE_OVERHEAD,
        )
    )
    restore = section.add(
        Row(
            f"`{labels.restore_label}` into an empty database (baseline)",
            short=labels.restore_short,
        )
    )
    verify = section.add(
        Row("`strongroom agent verify` (integrity + restore + fingerprints)", ratio_of=restore)
    )
    verify_restore = section.add(Row("… of which the restore into scratch", ratio_of=restore))
    endpoint_download = section.add(Row("S3 endpoint alone: download of the data object"))
    return Rows(
        dump=dump,
        dump_busy=dump_busy,
        naive=naive,
        null=null,
        s3=s3,
        endpoint_upload=endpoint_upload,
        cpu=cpu,
        busy=busy,
        no_fingerprints=no_fingerprints,
        startup=startup,
        hashing=hashing,
        hashing_cpu=hashing_cpu,
        counts=counts,
        zstd=zstd,
        rss_null=rss_null,
        rss_s3=rss_s3,
        dump_size=dump_size,
        zstd_size=zstd_size,
        data_size=data_size,
        restore=restore,
        verify=verify,
        verify_restore=verify_restore,
        endpoint_download=endpoint_download,
    )
