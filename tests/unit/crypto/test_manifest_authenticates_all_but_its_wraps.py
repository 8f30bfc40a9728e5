"""The manifest: every field but the wrapped keys is authenticated; wraps are bound to a backup.

Anyone who can unwrap the data key can check that sizes, hashes, fingerprints and identity are
what the backup wrote; rotation may rewrite the wrapped keys without touching the MAC; and a
wrapped key copied into another backup's manifest opens nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime

import pytest

from strongroom.api.fingerprints import TableFingerprint
from strongroom.crypto.keyring import KeyRingWrapper
from strongroom.crypto.manifest import (
    Manifest,
    from_json,
    object_keys,
    open_manifest,
    seal,
    to_json,
    verify,
)
from strongroom.errors import ConfigError, FormatError, IntegrityError, KeyUnavailableError


def test_json_round_trip_keeps_every_field(manifest_for, header) -> None:
    manifest = manifest_for(header)
    assert from_json(to_json(manifest)) == manifest
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert to_json(from_json(to_json(manifest))) == to_json(manifest)


def test_the_stored_form_is_readable_json(manifest_for, header) -> None:
    stored = json.loads(to_json(manifest_for(header)))
    assert stored["header"]["backup"] == header.backup
    assert stored["wrapped_keys"][0]["keyId"] == "shop-backups"
    assert stored["tables"][1] == {"table": "public.orders", "rows": 340, "sha256": "ef" * 32}


def test_a_sealed_manifest_verifies_with_its_data_key(manifest_for, header, dek) -> None:
    verify(manifest_for(header), dek)


EDITS = {
    "data_size": 4243,
    "data_sha256": "00" * 32,
    "plaintext_size": 1,
    "data_key": "backups/shop/nightly/other/data.sr",
    "compressed": "none",
    "tools": {"pg_dump": "17.0"},
    "server_version": "17.0",
    "tables": (TableFingerprint("public.orders", 341, "ef" * 32),),
    "created": datetime(2026, 2, 1, tzinfo=UTC),
    "retention_deadline": None,
    "dump_size": 1,
}


@pytest.mark.parametrize("name", sorted(EDITS))
def test_editing_any_field_is_detected(manifest_for, header, dek, name) -> None:
    edited = dataclasses.replace(manifest_for(header), **{name: EDITS[name]})
    with pytest.raises(IntegrityError, match=r"manifest of backup shop/nightly/.* was edited"):
        verify(edited, dek)


def test_editing_the_stored_bytes_is_detected(manifest_for, header, dek, ring) -> None:
    stored = to_json(manifest_for(header)).replace(b'"rows": 340', b'"rows": 339')
    with pytest.raises(IntegrityError, match="was edited"):
        open_manifest(from_json(stored), [KeyRingWrapper(ring)])


def test_identity_is_covered(manifest_for, header, header_for, dek) -> None:
    moved = dataclasses.replace(manifest_for(header), header=header_for("shop-20260201-0200"))
    with pytest.raises(IntegrityError, match="was edited"):
        verify(moved, dek)


def test_wrapped_keys_are_not_covered_so_rotation_needs_no_new_mac(
    manifest_for, header, dek, ring
) -> None:
    manifest = manifest_for(header)
    rotated = ring.rotate(datetime(2026, 2, 1, tzinfo=UTC))
    extra = KeyRingWrapper(rotated).wrap(dek, manifest.binding)
    verify(dataclasses.replace(manifest, wrapped_keys=(*manifest.wrapped_keys, extra)), dek)


def test_open_manifest_returns_the_data_key(manifest_for, header, dek, ring) -> None:
    assert open_manifest(manifest_for(header), [KeyRingWrapper(ring)]) == dek


def test_a_wrapped_key_moved_to_another_backup_does_not_unwrap(
    manifest_for, header, header_for, ring
) -> None:
    mine = manifest_for(header)
    other_dek = os.urandom(32)
    theirs = manifest_for(header_for("shop-20260201-0200"), dek=other_dek)
    # An attacker copies our wrapped key into their manifest (or the reverse).
    forged = dataclasses.replace(theirs, wrapped_keys=mine.wrapped_keys)
    with pytest.raises(IntegrityError, match=r"does not unwrap for backup .*20260201.*another"):
        open_manifest(forged, [KeyRingWrapper(ring)])


def test_a_manifest_naming_a_key_we_lack_says_which_it_needs(manifest_for, header, ring) -> None:
    other_ring = type(ring).generate("finance-backups", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(KeyUnavailableError, match=r"needs one of: key ring shop-backups v1"):
        open_manifest(manifest_for(header), [KeyRingWrapper(other_ring)])


def test_a_shredded_manifest_opens_with_nothing(manifest_for, header, ring) -> None:
    shredded = dataclasses.replace(manifest_for(header), wrapped_keys=())
    with pytest.raises(KeyUnavailableError, match="crypto-shredded"):
        open_manifest(shredded, [KeyRingWrapper(ring)])


def test_a_manifest_sealed_with_another_data_key_fails(manifest_for, header, ring) -> None:
    manifest = manifest_for(header)
    resealed = seal(manifest, os.urandom(32))
    with pytest.raises(IntegrityError, match="was edited"):
        open_manifest(resealed, [KeyRingWrapper(ring)])


def test_object_keys_follow_the_documented_layout(header) -> None:
    assert object_keys("", header) == (
        "shop/nightly/shop-20260131-0200/data.sr",
        "shop/nightly/shop-20260131-0200/manifest.json",
    )
    assert object_keys("/prod/backups/", header)[0] == (
        "prod/backups/shop/nightly/shop-20260131-0200/data.sr"
    )


def test_object_keys_refuse_names_that_escape_their_folder(header_for) -> None:
    with pytest.raises(ConfigError):
        object_keys("", header_for(".."))


@pytest.mark.parametrize(
    "change",
    [
        {"data_sha256": "AB" * 32},
        {"data_size": -1},
        {"created": datetime(2026, 1, 31, 2, 0)},  # noqa: DTZ001 - naive on purpose
        {"mac": "not-hex"},
    ],
)
def test_a_manifest_that_could_not_be_read_back_cannot_be_built(
    manifest_for, header, change
) -> None:
    with pytest.raises(FormatError):
        dataclasses.replace(manifest_for(header), **change)
