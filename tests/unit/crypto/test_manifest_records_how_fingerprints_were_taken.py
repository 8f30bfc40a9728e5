"""The manifest names the fingerprint method; manifests written before the marker still verify.

Backups written before fingerprints came from the dump stream carry no ``fingerprints`` field;
their MAC was computed without it, so the field is stored only when set, and such a manifest
still reads back and authenticates exactly as before.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from strongroom.api.fingerprints import FINGERPRINT_METHOD
from strongroom.crypto.header import Header
from strongroom.crypto.manifest import from_json, seal, to_json, verify
from strongroom.errors import FormatError, IntegrityError


def test_a_new_manifest_records_the_method_under_its_mac(
    manifest_for: Any, header: Header, dek: bytes
) -> None:
    marked = seal(dataclasses.replace(manifest_for(header), fingerprints=FINGERPRINT_METHOD), dek)
    stored = json.loads(to_json(marked))
    assert stored["fingerprints"] == "dump-stream/1"
    assert from_json(to_json(marked)) == marked
    verify(from_json(to_json(marked)), dek)
    with pytest.raises(IntegrityError, match="was edited"):
        verify(dataclasses.replace(marked, fingerprints="dump-stream/2"), dek)
    with pytest.raises(IntegrityError, match="was edited"):
        verify(dataclasses.replace(marked, fingerprints=""), dek)  # stripping it is an edit


def test_a_manifest_written_before_the_marker_reads_and_verifies(
    manifest_for: Any, header: Header, dek: bytes
) -> None:
    old = manifest_for(header)  # sealed without the field, as every earlier release did
    stored = json.loads(to_json(old))
    assert "fingerprints" not in stored
    read = from_json(json.dumps(stored).encode())
    assert read.fingerprints == ""
    verify(read, dek)


@pytest.mark.parametrize("value", ["", 1, None])
def test_a_malformed_marker_is_refused_naming_the_field(
    manifest_for: Any, header: Header, value: object
) -> None:
    stored = json.loads(to_json(manifest_for(header)))
    stored["fingerprints"] = value
    with pytest.raises(FormatError, match="manifest field fingerprints must be a non-empty"):
        from_json(json.dumps(stored).encode())
