"""docs/format.md cannot drift: its test vectors are recomputed here, step by step.

Each vector is checked twice: against our implementation, and against the recipe the page
gives (plain AES-GCM, HKDF and HMAC from ``cryptography``), so the page alone is enough to
open a backup.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.crypto.keyring import KeyBinding, KeyRing, KeyRingWrapper, KeyState, KeyVersion
from strongroom.crypto.manifest import from_json, object_keys, open_manifest, to_json
from strongroom.crypto.stream import Header, decrypt_bytes, encrypt_bytes

DOC = Path(__file__).resolve().parents[3] / "docs" / "format.md"
BLOCK = re.compile(r"<!-- vector: (\S+) -->\n```(\w+)\n(.*?)```", re.DOTALL)


def hkdf(ikm: bytes, *, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=salt, info=info).derive(ikm)


@pytest.fixture(scope="module")
def vectors() -> dict[str, object]:
    found: dict[str, object] = {}
    for name, kind, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if kind == "json":
            found[name] = body.encode()
            continue
        values: dict[str, str] = {}
        key = ""
        for line in body.splitlines():
            if line.startswith(" "):
                values[key] += line.strip()
            else:
                key, _, value = line.partition(" ")
                values[key] = value.strip()
        found[name] = {k: bytes.fromhex(v) for k, v in values.items()}
    assert set(found) == {"data-object", "key-wrap", "manifest-mac", "manifest.json"}
    return found


def test_data_object_vector_matches_our_writer_and_reader(vectors) -> None:
    v = vectors["data-object"]
    header = Header.decode(v["header"])
    blob = encrypt_bytes(
        v["plaintext"], v["dek"], header, _salt=v["salt"], _nonce_prefix=v["nonce_prefix"]
    )
    assert blob == v["object"]
    assert decrypt_bytes(v["object"], v["dek"]) == (header, v["plaintext"])


def test_data_object_vector_follows_the_documented_recipe(vectors) -> None:
    v = vectors["data-object"]
    obj, header, dek = v["object"], v["header"], v["dek"]
    n = len(header)
    assert obj[:12] == b"STRONGROOM\x00\x01"
    assert int.from_bytes(obj[12:16], "big") == n
    assert obj[16 : 16 + n] == header
    key_check = hkdf(dek, info=b"strongroom key check v1")[:16]
    assert obj[16 + n : 32 + n] == key_check == v["key_check"]
    mac = hmac.digest(hkdf(dek, info=b"strongroom header v1"), obj[: 16 + n], "sha256")
    assert obj[32 + n : 64 + n] == mac == v["header_mac"]
    tink = obj[64 + n :]
    assert tink[0] == 0x28
    assert tink[1:33] == v["salt"]
    assert tink[33:40] == v["nonce_prefix"]
    segment_key = hkdf(dek, salt=v["salt"], info=header)
    assert segment_key == v["segment_key"]
    nonce = v["nonce_prefix"] + (0).to_bytes(4, "big") + b"\x01"
    assert nonce == v["nonce_0"]
    assert AESGCM(segment_key).decrypt(nonce, tink[40:], None) == v["plaintext"]


def test_key_wrap_vector(vectors) -> None:
    w, dek = vectors["key-wrap"], vectors["data-object"]["dek"]
    binding = KeyBinding("shop", "nightly", "nightly-20260131-0200")
    assert binding.encode() == w["binding"]
    assert w["aad"] == b"\x00".join([b"strongroom wrap v1", w["binding"], b"shop-backups", b"1"])
    assert w["wrapped"][:12] == w["nonce"]
    assert AESGCM(w["kek"]).decrypt(w["nonce"], w["wrapped"][12:], w["aad"]) == dek


def test_example_manifest_opens_with_the_vector_keys(vectors) -> None:
    raw, v, w = vectors["manifest.json"], vectors["data-object"], vectors["key-wrap"]
    manifest = from_json(raw)
    assert to_json(manifest) == raw  # the page shows the stored form exactly
    assert manifest.wrapped_keys[0].wrapped == w["wrapped"]
    assert manifest.data_size == len(v["object"])
    assert manifest.data_sha256 == hashlib.sha256(v["object"]).hexdigest()
    assert manifest.header == Header.decode(v["header"])
    assert manifest.data_key == object_keys("", manifest.header)[0]
    ring = KeyRing(
        "shop-backups",
        (
            KeyVersion(
                "shop-backups", 1, datetime(2026, 1, 1, tzinfo=UTC), KeyState.PRIMARY, w["kek"]
            ),
        ),
    )
    assert open_manifest(manifest, [KeyRingWrapper(ring)]) == v["dek"]


def test_manifest_mac_vector_follows_the_documented_recipe(vectors) -> None:
    m, raw, dek = vectors["manifest-mac"], vectors["manifest.json"], vectors["data-object"]["dek"]
    assert hkdf(dek, info=b"strongroom manifest v1") == m["mac_key"]
    manifest = from_json(raw)
    body = manifest.to_dict()
    del body["wrapped_keys"], body["mac"]
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hmac.digest(m["mac_key"], canonical.encode(), "sha256") == m["mac"]
    assert manifest.mac == m["mac"].hex()


def test_the_header_example_in_prose_is_the_vector_header(vectors) -> None:
    assert vectors["data-object"]["header"].decode() in DOC.read_text(encoding="utf-8")
