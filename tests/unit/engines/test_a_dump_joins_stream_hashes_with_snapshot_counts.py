"""A running dump hashes what its reader reads and joins that with the snapshot's row counts.

``cat`` of a small SQL dump stands in for the dump tool, so the wiring (the reader feeding the
hasher, the end-of-stream rule, the join) runs on a real pipe without a database.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

from strongroom.api.fingerprints import TableFingerprint
from strongroom.engines.sqlstream import SQLDumpHasher
from strongroom.engines.tooling import RunningDump, ToolProcess, child_env
from strongroom.errors import EngineError

SECTION = b"\n/*!40000 ALTER TABLE `t` DISABLE KEYS */;\nINSERT INTO `t` VALUES (1);"
DUMP = b"-- MariaDB dump\n\nLOCK TABLES `t` WRITE;" + SECTION + b"\nUNLOCK TABLES;\n-- Dump end\n"


@contextlib.contextmanager
def _dump(tmp_path: Path, counts: dict[str, int]) -> Iterator[RunningDump]:
    """A dump of ``DUMP`` by ``cat``, its snapshot having counted ``counts``; stopped after."""
    source = tmp_path / "dump.sql"
    source.write_bytes(DUMP)
    cat = shutil.which("cat")
    assert cat is not None
    proc = ToolProcess([cat, str(source)], env=child_env(), secrets=[], stdout=subprocess.PIPE)
    counted: Future[dict[str, int]] = Future()
    counted.set_result(counts)
    try:
        yield RunningDump(proc, SQLDumpHasher(), counted)
    finally:
        proc.stop()


def test_the_fingerprint_is_the_snapshot_count_and_the_stream_hash(tmp_path: Path) -> None:
    with _dump(tmp_path, {"t": 1}) as dump:
        assert dump.stdout.read() == DUMP
        dump.finish()
        fingerprints = dump.fingerprints
    assert fingerprints == (TableFingerprint("t", 1, hashlib.sha256(SECTION).hexdigest()),)


def test_a_table_on_one_side_only_is_named_never_skipped(tmp_path: Path) -> None:
    with _dump(tmp_path, {"t": 1, "gone": 3}) as dump:
        dump.stdout.read()
        with pytest.raises(EngineError, match="counted in the snapshot but not in the dump: gone"):
            dump.finish()


def test_no_fingerprints_before_the_dump_was_read_to_its_end(tmp_path: Path) -> None:
    with _dump(tmp_path, {"t": 1}) as dump:
        dump.stdout.read(10)
        with pytest.raises(EngineError, match="not read to the end"):
            _ = dump.fingerprints
        with pytest.raises(EngineError, match="not read to the end"):
            dump.finish()
