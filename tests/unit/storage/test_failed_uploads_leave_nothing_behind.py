"""An upload becomes an object only when closed; any failure aborts it (F2/F3)."""

from __future__ import annotations

import pytest

from strongroom.errors import StorageError
from strongroom.storage.fake import InMemoryObjectStore
from strongroom.storage.parts import DEFAULT_PART_SIZE


def test_an_exception_inside_the_with_block_aborts_the_upload() -> None:
    store = InMemoryObjectStore()

    def write_then_fail() -> None:
        with store.open_upload("a/data.sr", content_type="x") as up:
            up.write(b"x" * (DEFAULT_PART_SIZE + 10))
            raise RuntimeError("dump failed")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert store.objects == {}
    assert store.list_incomplete_uploads("") == []
    assert store.aborted == ["a/data.sr"]


def test_a_failing_part_aborts_and_raises_a_storage_error() -> None:
    store = InMemoryObjectStore()
    store.fail_part = 2

    def write_three_parts() -> None:
        with store.open_upload("a/data.sr", content_type="x") as up:
            for _ in range(3):
                up.write(b"y" * DEFAULT_PART_SIZE)

    with pytest.raises(StorageError) as failed:
        write_three_parts()
    assert failed.value.reason == "StorageUnavailable"
    assert store.objects == {}
    assert store.list_incomplete_uploads("a/") == []


def test_a_closed_upload_holds_exactly_the_bytes_written() -> None:
    store = InMemoryObjectStore()
    payload = bytes(range(256)) * (DEFAULT_PART_SIZE // 256 * 2 + 3)
    with store.open_upload("k", content_type="x") as up:
        for i in range(0, len(payload), 1_000_003):
            up.write(payload[i : i + 1_000_003])
    assert store.objects["k"] == payload


def test_an_empty_upload_is_an_empty_object() -> None:
    store = InMemoryObjectStore()
    with store.open_upload("empty", content_type="x"):
        pass
    assert store.objects["empty"] == b""


def test_writing_after_abort_is_refused() -> None:
    store = InMemoryObjectStore()
    up = store.open_upload("k", content_type="x")
    up.abort()
    with pytest.raises(StorageError):
        up.write(b"late")


def test_conditional_put_refuses_to_replace() -> None:
    store = InMemoryObjectStore()
    store.put_bytes("m.json", b"1", if_none_match=True)
    with pytest.raises(StorageError) as refused:
        store.put_bytes("m.json", b"2", if_none_match=True)
    assert refused.value.reason == "ObjectExists"
    assert store.get_bytes("m.json") == b"1"


def test_leftover_uploads_of_an_earlier_attempt_can_be_swept() -> None:
    store = InMemoryObjectStore()
    store.open_upload("p/b1/data.sr", content_type="x").write(b"partial")
    assert [u.key for u in store.list_incomplete_uploads("p/")] == ["p/b1/data.sr"]
    assert store.abort_incomplete_uploads("p/") == 1
    assert store.list_incomplete_uploads("p/") == []
