"""RELIABILITY F12: key rotation interrupted at any moment leaves every manifest openable.

Re-wrapping adds the new wrap, proves it, writes; then drops the old wrap and writes again.
Whatever was last written opens with at least one key, and running again converges.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from strongroom.crypto.keyring import KeyRingWrapper
from strongroom.crypto.manifest import (
    add_wrap,
    drop_wraps,
    open_manifest,
    reference_counts,
    referenced_versions,
    rewrap,
    shred,
    verify,
)
from strongroom.errors import ConfigError, IntegrityError, KeyUnavailableError

LATER = datetime(2026, 2, 1, tzinfo=UTC)


class CrashError(Exception):
    """The operator died between the two writes."""


def test_rewrap_moves_a_manifest_to_the_new_primary(manifest_for, header, dek, ring) -> None:
    rotated = ring.rotate(LATER)
    written = []
    result = rewrap(
        manifest_for(header), [KeyRingWrapper(ring)], KeyRingWrapper(rotated), written.append
    )
    assert [[e.key_version for e in m.wrapped_keys] for m in written] == [["1", "2"], ["2"]]
    assert result == written[-1]
    verify(result, dek)
    assert open_manifest(result, [KeyRingWrapper(rotated.retire(1, referenced=set()))]) == dek


def test_every_written_manifest_opens_with_old_and_or_new_key(
    manifest_for, header, dek, ring
) -> None:
    rotated = ring.rotate(LATER)
    only_old = KeyRingWrapper(ring)
    only_new = KeyRingWrapper(rotated.retire(1, referenced=set()))

    def write(manifest) -> None:
        assert open_manifest(manifest, [only_new]) == dek
        if len(manifest.wrapped_keys) == 2:
            assert open_manifest(manifest, [only_old]) == dek

    rewrap(manifest_for(header), [only_old], KeyRingWrapper(rotated), write)


def test_a_crash_between_the_writes_leaves_both_keys_working_and_rerun_converges(
    manifest_for, header, dek, ring
) -> None:
    rotated = ring.rotate(LATER)
    stored = [manifest_for(header)]

    def crash_on_second_write(manifest) -> None:
        if len(stored) == 2:
            raise CrashError
        stored.append(manifest)

    with pytest.raises(CrashError):
        rewrap(stored[0], [KeyRingWrapper(ring)], KeyRingWrapper(rotated), crash_on_second_write)
    interrupted = stored[-1]
    assert open_manifest(interrupted, [KeyRingWrapper(ring)]) == dek
    assert open_manifest(interrupted, [KeyRingWrapper(rotated)]) == dek

    rerun_writes = []
    done = rewrap(
        interrupted, [KeyRingWrapper(rotated)], KeyRingWrapper(rotated), rerun_writes.append
    )
    assert [len(m.wrapped_keys) for m in rerun_writes] == [1]  # only the drop was left to do
    again = []
    assert rewrap(done, [KeyRingWrapper(rotated)], KeyRingWrapper(rotated), again.append) == done
    assert again == []  # converged: nothing to write


def test_add_wrap_is_idempotent(manifest_for, header, dek, ring) -> None:
    manifest = manifest_for(header)
    assert add_wrap(manifest, dek, KeyRingWrapper(ring)) == manifest


def test_add_wrap_refuses_a_data_key_of_another_backup(manifest_for, header, ring) -> None:
    with pytest.raises(IntegrityError, match="was edited"):
        add_wrap(manifest_for(header), bytes(32), KeyRingWrapper(ring))


def test_dropping_every_wrap_is_refused_unless_shredding(manifest_for, header, ring) -> None:
    manifest = manifest_for(header)
    with pytest.raises(ConfigError, match="refusing to drop every wrapped key"):
        drop_wraps(manifest, keep=lambda _entry: False)
    with pytest.raises(KeyUnavailableError, match="crypto-shredded"):
        open_manifest(shred(manifest), [KeyRingWrapper(ring)])


def test_kept_entries_survive_a_rewrap(manifest_for, header, ring) -> None:
    rotated = ring.rotate(LATER)
    result = rewrap(
        manifest_for(header),
        [KeyRingWrapper(ring)],
        KeyRingWrapper(rotated),
        lambda _m: None,
        keep=lambda entry: entry.key_version == "1",
    )
    assert sorted(e.key_version for e in result.wrapped_keys) == ["1", "2"]


def test_references_count_manifests_per_version(manifest_for, header, header_for, ring) -> None:
    rotated = ring.rotate(LATER)
    old = manifest_for(header)
    both = add_wrap(manifest_for(header_for("b2")), bytes(range(32)), KeyRingWrapper(rotated))
    new = manifest_for(header_for("b3"), wrapper=KeyRingWrapper(rotated))
    assert reference_counts([old, both, new]) == {1: 2, 2: 2}
    assert referenced_versions([new]) == {2}
    assert referenced_versions([old], key_id="another-ring") == set()
    with pytest.raises(ConfigError, match="2 retained backups still need it"):
        rotated.retire(1, referenced=reference_counts([old, both, new]))
