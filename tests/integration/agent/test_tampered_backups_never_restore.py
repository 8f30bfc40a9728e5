"""A backup altered in S3 fails verification with a clear reason and never restores (F5).

Each case alters the real objects in the bucket — a flipped byte, a truncation exactly at a
segment boundary and in the middle of a segment, appended bytes, another backup's data object
swapped in, an edited manifest — then runs the real agent. Verification fails naming the
check, and a restore into an empty database fails before the restore tool sees a byte: the
target stays empty.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any

import pytest

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any

MiB = 1 << 20
#: magic (12) + header length (4) … key check (16) + header MAC (32), then Tink's 40-byte header.
PREFIX_FIXED, KEY_CHECKS, TINK_HEADER = 16, 48, 40


def segment_boundaries(data: bytes) -> list[int]:
    """Offsets where one ciphertext segment ends and the next begins (last one excluded)."""
    (header_length,) = struct.unpack(">I", data[12:16])
    start = PREFIX_FIXED + header_length + KEY_CHECKS  # the Tink stream begins here
    bounds = [start + TINK_HEADER]  # Tink header written, no segment yet
    offset = start + MiB  # Tink header + first segment fill exactly one segment size
    while offset < len(data):
        bounds.append(offset)
        offset += MiB
    return bounds


def flip_a_byte(h: Harness, data_key: str, _manifest_key: str) -> None:
    data = bytearray(h.get(data_key))
    data[len(data) // 2] ^= 0x04
    h.put(data_key, bytes(data))


def truncate_at_a_segment_boundary(h: Harness, data_key: str, _manifest_key: str) -> None:
    data = h.get(data_key)
    bounds = segment_boundaries(data)
    assert len(bounds) > 1, "the store must span several segments for this case to mean much"
    h.put(data_key, data[: bounds[-1]])


def truncate_mid_segment(h: Harness, data_key: str, _manifest_key: str) -> None:
    data = h.get(data_key)
    last = segment_boundaries(data)[-1]
    h.put(data_key, data[: last + (len(data) - last) // 2])


def append_bytes(h: Harness, data_key: str, _manifest_key: str) -> None:
    h.put(data_key, h.get(data_key) + b"\x00" * 4096)


def swap_in_another_backups_data(h: Harness, data_key: str, _manifest_key: str) -> None:
    other_data, _ = h.keys("other-backup")
    h.put(data_key, h.get(other_data))


def edit_the_manifest(h: Harness, _data_key: str, manifest_key: str) -> None:
    manifest = json.loads(h.get(manifest_key))
    text = json.dumps(manifest)
    # Claim a different row count for some table: exactly what an attacker hiding loss would do.
    edited = text.replace('"rows": ', '"rows": 1', 1)
    assert edited != text
    h.put(manifest_key, edited.encode())


CASES: dict[str, tuple[Callable[[Harness, str, str], None], str]] = {
    "flipped byte": (flip_a_byte, "IntegrityCheckFailed"),
    "truncated at a segment boundary": (truncate_at_a_segment_boundary, "IntegrityCheckFailed"),
    "truncated mid-segment": (truncate_mid_segment, "IntegrityCheckFailed"),
    "appended bytes": (append_bytes, "IntegrityCheckFailed"),
    "swapped with another backup": (swap_in_another_backups_data, "IntegrityCheckFailed"),
    "edited manifest": (edit_the_manifest, "IntegrityCheckFailed"),
}


#: Hex text of random digests: compresses only about 2:1, so the object spans several segments.
ATTACHMENTS = """
CREATE TABLE public.attachments (id integer PRIMARY KEY, body text NOT NULL);
INSERT INTO public.attachments
SELECT g, (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 64) i)
FROM generate_series(1, 2000) g
"""


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_fails_verification_and_restores_nothing(
    harness: Harness, pg: Store, postgres_server: Any, case: str
) -> None:
    tamper, reason = CASES[case]
    postgres_server.execute(pg.source.database, ATTACHMENTS)
    backup = "orders-db-tampered"
    data_key, manifest_key = harness.backed_up(backup, pg)
    harness.backed_up("other-backup", pg)
    tamper(harness, data_key, manifest_key)

    job = harness.job("verify", engine="postgresql", backup=backup, verify={"level": "integrity"})
    run = harness.agent("verify", job)
    assert run.returncode == 1, run.stdout
    assert run.result is not None
    assert run.result.reason == reason, run.result.message
    assert run.result.level_reached == "none"
    assert run.result.message

    target = harness.connection(pg.empty)
    job = harness.job("restore", engine="postgresql", backup=backup, restore={"target": target})
    run = harness.agent("restore", job)
    assert run.returncode == 1
    assert run.result is not None
    assert run.result.reason == reason
    assert pg.engine.is_empty(pg.empty), "a tampered backup must not restore partially"


def test_a_missing_manifest_means_no_backup(harness: Harness, pg: Store) -> None:
    backup = "orders-db-no-manifest"
    _, manifest_key = harness.backed_up(backup, pg)
    harness.client().delete_object(Bucket=harness.bucket, Key=manifest_key)
    job = harness.job("verify", engine="postgresql", backup=backup, verify={"level": "integrity"})
    run = harness.agent("verify", job)
    assert run.returncode == 1
    assert run.result is not None
    assert run.result.reason == "ManifestNotFound"
