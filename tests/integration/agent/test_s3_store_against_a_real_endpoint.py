"""The S3 adapter against a real HTTP endpoint: multipart, conditional writes, resumed reads,
the bucket's real region, and errors that say what is wrong without any credential."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY

from strongroom.errors import StorageError
from strongroom.storage.config import StorageConfig
from strongroom.storage.parts import DEFAULT_PART_SIZE
from strongroom.storage.s3 import S3ObjectStore

Harness = Any  # fixture types live in this directory's conftest.py
FaultProxy = Any


def store_for(
    harness: Harness, *, endpoint: str | None = None, bucket: str | None = None
) -> S3ObjectStore:
    return S3ObjectStore(
        StorageConfig(
            bucket=bucket or harness.bucket,
            region=REGION,
            endpoint_url=endpoint or harness.endpoint,
            credentials_file=harness.credentials_file,
            force_path_style=True,
            max_attempts=2,
            part_attempts=2,
            retry_base_seconds=0.05,
        ),
        sleep=lambda _s: None,
    )


def test_a_multipart_upload_reads_back_byte_for_byte(harness: Harness) -> None:
    store = store_for(harness)
    payload = random.Random(3).randbytes(2 * DEFAULT_PART_SIZE + 12345)
    with store.open_upload("big/data.sr", content_type="application/octet-stream") as up:
        for i in range(0, len(payload), 1 << 20):
            up.write(payload[i : i + (1 << 20)])
        assert up.parts_sent == 2  # type: ignore[attr-defined]
    info = store.head("big/data.sr")
    assert info is not None
    assert info.size == len(payload)
    with store.open_read("big/data.sr") as stream:
        assert stream.read() == payload
    assert [o.key for o in store.list("big/")] == ["big/data.sr"]
    assert store.list_incomplete_uploads("") == []


def test_a_reset_mid_read_resumes_with_a_ranged_get(
    harness: Harness, fault_proxy: FaultProxy
) -> None:
    payload = random.Random(4).randbytes(3 << 20)
    harness.put("resume/data.sr", payload)
    fault_proxy.cut_get_after = 1 << 20
    store = store_for(harness, endpoint=fault_proxy.endpoint)
    with store.open_read("resume/data.sr") as stream:
        assert stream.read() == payload
    assert fault_proxy.ranged_gets, "the second request must ask for the rest only"
    assert fault_proxy.ranged_gets[0].startswith("bytes=")
    assert fault_proxy.ranged_gets[0] != "bytes=0-"


def test_a_read_pinned_to_an_etag_refuses_a_replaced_object(harness: Harness) -> None:
    store = store_for(harness)
    store.put_bytes("pin/data.sr", b"first version")
    info = store.head("pin/data.sr")
    assert info is not None
    store.put_bytes("pin/data.sr", b"second version")
    with pytest.raises(StorageError) as changed:
        store.open_read("pin/data.sr", etag=info.etag).read()
    assert changed.value.reason == "ObjectChanged"


def test_a_conditional_put_never_replaces_a_manifest(harness: Harness) -> None:
    store = store_for(harness)
    store.put_bytes("m/manifest.json", b"{}", if_none_match=True)
    with pytest.raises(StorageError) as refused:
        store.put_bytes("m/manifest.json", b'{"edited": 1}', if_none_match=True)
    assert refused.value.reason == "ObjectExists"
    assert store.get_bytes("m/manifest.json") == b"{}"


def test_the_bucket_region_is_the_real_location(harness: Harness) -> None:
    assert store_for(harness).bucket_region() == REGION


def test_a_missing_bucket_is_named(harness: Harness) -> None:
    with pytest.raises(StorageError) as missing:
        store_for(harness, bucket="no-such-bucket-here").get_bytes("x")
    assert missing.value.reason == "BucketNotFound"
    assert "no-such-bucket-here" in str(missing.value)
    assert not missing.value.retryable


def test_an_unreachable_endpoint_is_said_plainly_without_credentials(harness: Harness) -> None:
    from tests.support.ports import free_port  # noqa: PLC0415

    store = store_for(harness, endpoint=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StorageError) as unreachable:
        store.head("anything")
    message = str(unreachable.value)
    assert unreachable.value.reason == "StorageUnreachable"
    assert "endpoint unreachable" in message
    assert SECRET_KEY not in message
    assert ACCESS_KEY not in message


def test_missing_credential_files_are_a_config_error(harness: Harness, tmp_path: Path) -> None:
    from strongroom.errors import ConfigError  # noqa: PLC0415

    config = StorageConfig(bucket=harness.bucket, credentials_file=tmp_path / "absent")
    with pytest.raises(ConfigError) as refused:
        S3ObjectStore(config)
    assert "absent" in str(refused.value)
