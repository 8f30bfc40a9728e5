"""AWS KMS as the key-encryption key, against a real KMS HTTP endpoint (moto server).

A data key from ``GenerateDataKey`` opens the backup it was made for, a manifest re-wrapped
from the key ring to KMS opens with KMS alone, and the encryption context makes KMS itself
refuse to unwrap a key for another backup. Unreachable KMS is a retryable error, not a crash.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from tests.support.s3 import S3Server

from strongroom.crypto.keyring import KeyBinding, KeyRing, KeyRingWrapper
from strongroom.crypto.kms import KmsWrapper
from strongroom.crypto.manifest import Manifest, object_keys, open_manifest, rewrap, seal
from strongroom.crypto.stream import DecryptingReader, EncryptingWriter, Header
from strongroom.errors import IntegrityError, KeyServiceUnavailableError, KeyUnavailableError

NOW = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)


def header_of(backup: str) -> Header:
    return Header("shop", "nightly", backup, "orders", "postgresql", NOW)


@pytest.fixture
def kms_key(s3_server: S3Server) -> tuple[Any, str]:
    client: Any = s3_server.client("kms")
    key_id = client.create_key(Description="strongroom test KEK")["KeyMetadata"]["KeyId"]
    return client, key_id


def test_a_generated_data_key_encrypts_and_unwraps_for_its_backup(kms_key) -> None:
    client, key_id = kms_key
    wrapper = KmsWrapper(client, key_id)
    header = header_of("shop-20260131-0200")
    binding = KeyBinding.for_header(header)
    dek, entry = wrapper.generate_data_key(binding)
    assert len(dek) == 32
    assert entry.kind == "kms"
    assert entry.key_id == key_id
    assert entry.key_version.startswith("arn:aws:kms:")
    sink = io.BytesIO()
    with EncryptingWriter(sink, dek, header) as writer:
        writer.write(b"COPY orders FROM stdin;\n")
    assert wrapper.can_unwrap(entry)
    again = wrapper.unwrap(entry, binding)
    assert (
        DecryptingReader(io.BytesIO(sink.getvalue()), again).read() == b"COPY orders FROM stdin;\n"
    )


def test_kms_refuses_a_wrapped_key_moved_to_another_backup(kms_key) -> None:
    client, key_id = kms_key
    wrapper = KmsWrapper(client, key_id)
    _, entry = wrapper.generate_data_key(KeyBinding("shop", "nightly", "shop-20260131-0200"))
    with pytest.raises(IntegrityError, match="belongs to another backup or was altered"):
        wrapper.unwrap(entry, KeyBinding("shop", "nightly", "shop-20260201-0200"))


def test_wrap_and_unwrap_an_existing_data_key(kms_key) -> None:
    client, key_id = kms_key
    wrapper = KmsWrapper(client, key_id)
    binding = KeyBinding("shop", "nightly", "b1")
    dek = bytes(range(32))
    entry = wrapper.wrap(dek, binding)
    assert wrapper.unwrap(entry, binding) == dek
    altered = dataclasses.replace(
        entry, wrapped=entry.wrapped[:-1] + bytes([entry.wrapped[-1] ^ 1])
    )
    with pytest.raises(IntegrityError):
        wrapper.unwrap(altered, binding)


def test_a_manifest_rewrapped_from_the_key_ring_to_kms_opens_with_kms_alone(kms_key) -> None:
    client, key_id = kms_key
    ring = KeyRing.generate("shop-backups", NOW)
    header = header_of("shop-20260131-0200")
    dek = bytes(range(32))
    manifest = seal(
        Manifest(
            header=header,
            data_key=object_keys("", header)[0],
            data_size=1,
            data_sha256="00" * 32,
            plaintext_size=1,
            server_version="16.4",
            created=NOW,
            wrapped_keys=(KeyRingWrapper(ring).wrap(dek, KeyBinding.for_header(header)),),
        ),
        dek,
    )
    writes: list[Manifest] = []
    moved = rewrap(manifest, [KeyRingWrapper(ring)], KmsWrapper(client, key_id), writes.append)
    assert [e.kind for e in moved.wrapped_keys] == ["kms"]
    assert [len(m.wrapped_keys) for m in writes] == [2, 1]
    assert open_manifest(moved, [KmsWrapper(client, key_id)]) == dek
    with pytest.raises(KeyUnavailableError, match=f"needs one of: KMS key arn:aws:kms:.*{key_id}"):
        open_manifest(moved, [KeyRingWrapper(ring)])


def test_an_unknown_kms_key_is_unavailable_not_a_crash(s3_server: S3Server) -> None:
    client: Any = s3_server.client("kms")
    wrapper = KmsWrapper(client, "11111111-2222-3333-4444-555555555555")
    with pytest.raises(KeyUnavailableError, match="KMS answered NotFoundException"):
        wrapper.generate_data_key(KeyBinding("shop", "nightly", "b1"))


def test_an_unreachable_kms_is_retryable() -> None:
    import boto3  # noqa: PLC0415 - only this test needs a client to nowhere
    from botocore.config import Config  # noqa: PLC0415

    client: Any = boto3.client(
        "kms",
        endpoint_url="http://127.0.0.1:9",
        region_name="eu-central-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    with pytest.raises(KeyServiceUnavailableError) as caught:
        KmsWrapper(client, "alias/strongroom").wrap(bytes(32), KeyBinding("shop", "nightly", "b1"))
    assert caught.value.retryable
