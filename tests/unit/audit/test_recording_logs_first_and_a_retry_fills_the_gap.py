"""record_audit() always logs; a store outage never blocks, and a retry stores exactly once."""

from __future__ import annotations

import logging

import pytest
from audit_world import record

from strongroom.audit import S3AuditSink, read_trail, record_audit
from strongroom.errors import StorageError
from strongroom.storage.fake import InMemoryObjectStore


class _Down(InMemoryObjectStore):
    """A store whose writes fail while ``down`` is set."""

    down = True

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        if self.down:
            raise StorageError("s3 is unreachable", reason="StorageUnavailable")
        super().put_bytes(key, data, if_none_match=if_none_match)


def test_an_outage_is_a_warning_and_a_retry_stores_the_record_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    store = _Down()
    sink = S3AuditSink(store, "prod")
    assert record_audit(record(), sink) is None
    assert [r.name for r in caplog.records if r.levelno == logging.INFO] == ["strongroom.audit"]
    assert any("not stored durably" in r.getMessage() for r in caplog.records)

    store.down = False
    key = record_audit(record(), sink)
    assert key is not None
    assert record_audit(record(), sink) == key  # the identical record again: already there
    assert read_trail(store, "prod") == [record()]


def test_exist_ok_never_accepts_different_content_under_a_key() -> None:
    store = InMemoryObjectStore()
    sink = S3AuditSink(store)
    key = sink.write(record())
    store.objects[key] = b"something else\n"
    with pytest.raises(StorageError) as caught:
        sink.write(record(), exist_ok=True)
    assert caught.value.reason == "ObjectExists"


def test_without_a_sink_the_line_is_still_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.audit")
    assert record_audit(record()) is None
    assert len([r for r in caplog.records if r.name == "strongroom.audit"]) == 1
