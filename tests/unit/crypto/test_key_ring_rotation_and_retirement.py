"""RELIABILITY F4: key ring rules. Never edit a key in place; never strand a backup.

Rotation adds a version and demotes the old primary to decrypt-only; a version still needed by
a retained backup cannot be retired or destroyed; the Secret layout keeps each version's bytes
under their own key; and no key material ever shows in a repr, str or error message.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from datetime import UTC, datetime

import pytest

from strongroom.crypto.keyring import (
    METADATA_KEY,
    KeyBinding,
    KeyRing,
    KeyRingWrapper,
    KeyState,
    KeyVersion,
)
from strongroom.errors import ConfigError, IntegrityError, KeyUnavailableError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 4, 1, tzinfo=UTC)
T2 = datetime(2026, 7, 1, tzinfo=UTC)
BINDING = KeyBinding("shop", "nightly", "shop-20260131-0200")


def states(ring: KeyRing) -> dict[int, KeyState]:
    return {v.version: v.state for v in ring.versions}


def test_a_new_ring_has_one_primary_version() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    assert states(ring) == {1: KeyState.PRIMARY}
    assert ring.primary().material is not None
    assert len(ring.primary().material) == 32


def test_rotation_adds_a_primary_and_never_edits_material() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    rotated = ring.rotate(T1).rotate(T2)
    assert states(rotated) == {1: "decrypt-only", 2: "decrypt-only", 3: "primary"}
    assert rotated.get(1).material == ring.get(1).material
    assert rotated.primary().created == T2
    assert len({v.material for v in rotated.versions}) == 3


def test_wraps_use_the_primary_and_old_versions_still_unwrap() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    dek = os.urandom(32)
    old_entry = KeyRingWrapper(ring).wrap(dek, BINDING)
    rotated = ring.rotate(T1)
    new_entry = KeyRingWrapper(rotated).wrap(dek, BINDING)
    assert (old_entry.key_version, new_entry.key_version) == ("1", "2")
    assert KeyRingWrapper(rotated).unwrap(old_entry, BINDING) == dek
    assert KeyRingWrapper(rotated).unwrap(new_entry, BINDING) == dek


def test_the_primary_cannot_be_retired_or_destroyed() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    with pytest.raises(ConfigError, match="v1: it is the primary version; rotate first"):
        ring.retire(1, referenced=set())
    with pytest.raises(ConfigError, match="primary"):
        ring.destroy(1, referenced=set())


def test_a_referenced_version_cannot_be_retired_or_destroyed() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    with pytest.raises(ConfigError, match="v1: 3 retained backups still need it; re-wrap"):
        ring.retire(1, referenced={1: 3})
    with pytest.raises(ConfigError, match="retained backups still need it"):
        ring.destroy(1, referenced={1})


def test_retired_versions_refuse_to_unwrap_until_reinstated() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    dek = os.urandom(32)
    entry = KeyRingWrapper(ring).wrap(dek, BINDING)
    retired = ring.rotate(T1).retire(1, referenced=set())
    assert states(retired)[1] is KeyState.RETIRED
    assert retired.get(1).material == ring.get(1).material  # kept, for a rescue
    assert not KeyRingWrapper(retired).can_unwrap(entry)
    with pytest.raises(
        KeyUnavailableError, match="needs key ring shop-backups v1, which is retired"
    ):
        KeyRingWrapper(retired).unwrap(entry, BINDING)
    assert KeyRingWrapper(retired.reinstate(1)).unwrap(entry, BINDING) == dek


def test_destroying_a_version_shreds_its_material() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    entry = KeyRingWrapper(ring).wrap(os.urandom(32), BINDING)
    destroyed = ring.rotate(T1).retire(1, referenced=set()).destroy(1, referenced=set())
    assert destroyed.get(1).material is None
    assert "kek-v1" not in destroyed.to_secret_data()
    with pytest.raises(KeyUnavailableError, match=r"v1, which was destroyed \(crypto-shredded\)"):
        KeyRingWrapper(destroyed).unwrap(entry, BINDING)
    with pytest.raises(ConfigError, match="already destroyed"):
        destroyed.retire(1, referenced=set())


def test_an_unknown_version_names_what_is_needed() -> None:
    ring = KeyRing.generate("shop-backups", T0)
    entry = dataclasses.replace(KeyRingWrapper(ring).wrap(os.urandom(32), BINDING), key_version="7")
    with pytest.raises(KeyUnavailableError, match="needs key ring shop-backups v7"):
        KeyRingWrapper(ring).unwrap(entry, BINDING)


def test_a_wrap_is_bound_to_its_backup_and_key_version() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    entry = KeyRingWrapper(ring).wrap(os.urandom(32), BINDING)
    with pytest.raises(IntegrityError, match="belongs to another backup or was altered"):
        KeyRingWrapper(ring).unwrap(entry, dataclasses.replace(BINDING, backup="other"))
    relabelled = dataclasses.replace(entry, key_version="1")
    with pytest.raises(IntegrityError):
        KeyRingWrapper(ring).unwrap(relabelled, BINDING)


def test_the_secret_layout_round_trips_and_keeps_material_per_version() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1).rotate(T2)
    ring = ring.retire(1, referenced=set())
    data = ring.to_secret_data()
    assert sorted(data) == ["kek-v1", "kek-v2", "kek-v3", "keyring.json"]
    assert all(len(data[f"kek-v{n}"]) == 32 for n in (1, 2, 3))
    meta = json.loads(data[METADATA_KEY])
    assert meta["versions"][0] == {
        "version": 1,
        "created": "2026-01-01T00:00:00.000000Z",
        "state": "retired",
    }
    assert KeyRing.from_secret_data(data) == ring
    # A rotation only adds a key: every existing value is byte-identical.
    after = ring.rotate(datetime(2026, 10, 1, tzinfo=UTC)).to_secret_data()
    assert all(after[k] == v for k, v in data.items() if k != METADATA_KEY)


def test_the_escrow_export_round_trips() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    ring = ring.retire(1, referenced=set()).destroy(1, referenced=set())
    exported = ring.to_export_json()
    assert KeyRing.from_export_json(exported) == ring
    assert b"strongroom-keyring-export" in exported


def test_material_never_shows_in_repr_str_or_errors() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    texts = [repr(ring), str(ring), repr(ring.primary()), str(ring.get(1))]
    for version in ring.versions:
        material = version.material
        assert material is not None
        for text in texts:
            assert material.hex() not in text
            assert repr(material)[2:-1] not in text
        assert "material" not in repr(version)
    with pytest.raises(ConfigError) as caught:
        ring.retire(2, referenced=set())
    assert all(v.material.hex() not in str(caught.value) for v in ring.versions)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop(METADATA_KEY), "no 'keyring.json' key"),
        (lambda d: d.update({METADATA_KEY: b"{not json"}), "'keyring.json' is not UTF-8 JSON"),
        (lambda d: d.update({METADATA_KEY: b"[]"}), "must be a JSON object"),
        (lambda d: d.update({"kek-v2": b"short"}), "'kek-v2' must hold 32 raw bytes"),
        (lambda d: d.pop("kek-v1"), "'kek-v1' must hold 32 raw bytes for version 1"),
        (lambda d: d.update({"kek-v9": os.urandom(32)}), r"\['kek-v9'\] that 'keyring.json' does"),
    ],
)
def test_a_malformed_secret_names_the_key_and_the_fix(mutate, message) -> None:
    data = KeyRing.generate("shop-backups", T0).rotate(T1).to_secret_data()
    mutate(data)
    with pytest.raises(ConfigError, match=message):
        KeyRing.from_secret_data(data)


def test_a_destroyed_version_whose_bytes_remain_is_flagged() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    data = ring.to_secret_data()
    data[METADATA_KEY] = data[METADATA_KEY].replace(b'"decrypt-only"', b'"destroyed"')
    with pytest.raises(
        ConfigError, match="delete 'kek-v1' from the Secret to finish the shredding"
    ):
        KeyRing.from_secret_data(data)


def test_two_primaries_are_refused() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    data = ring.to_secret_data()
    data[METADATA_KEY] = data[METADATA_KEY].replace(b'"decrypt-only"', b'"primary"')
    with pytest.raises(ConfigError, match="has 2 primary versions; it needs exactly one"):
        KeyRing.from_secret_data(data)


def test_a_version_needs_material_unless_destroyed() -> None:
    with pytest.raises(ConfigError, match="needs 32 bytes of material"):
        KeyVersion("k", 1, T0, KeyState.PRIMARY, None)
    with pytest.raises(ConfigError, match="destroyed yet has material"):
        KeyVersion("k", 1, T0, KeyState.DESTROYED, os.urandom(32))


def test_the_secret_as_kubectl_prints_it_is_also_an_escrow_file() -> None:
    ring = KeyRing.generate("shop-backups", T0).rotate(T1)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "shop-backups-keyring", "namespace": "shop"},
        "type": "Opaque",
        "data": {k: base64.b64encode(v).decode() for k, v in ring.to_secret_data().items()},
    }
    assert KeyRing.from_export_json(json.dumps(secret).encode()) == ring
    secret["data"]["kek-v2"] = "not base64!"
    with pytest.raises(ConfigError, match="Secret key 'kek-v2' is not base64"):
        KeyRing.from_export_json(json.dumps(secret).encode())
