"""emit() writes exactly one JSON log line per record, and the JSON reads back to the record."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from audit_world import record

from strongroom.audit import OPERATOR_ACTOR, AuditAction, AuditRecord, AuditResult, emit


def test_emit_writes_one_json_line_to_the_audit_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.audit")
    line = emit(record(details={"sizeBytes": 7}))
    lines = [r for r in caplog.records if r.name == "strongroom.audit"]
    assert len(lines) == 1
    assert "\n" not in lines[0].getMessage()
    body = json.loads(lines[0].getMessage())
    assert body == json.loads(line)
    assert body["action"] == "backup"
    assert body["result"] == "succeeded"
    assert body["keyVersion"] == 2
    assert body["time"] == "2026-11-23T09:00:00.000000Z"


def test_a_record_round_trips_through_json() -> None:
    original = record(action=AuditAction.KEY_ROTATE, result=AuditResult.REFUSED, backup=None)
    assert AuditRecord.from_json(json.loads(original.to_line())) == original


def test_times_are_stored_in_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    moved = record(time=datetime(2026, 11, 23, 10, 0, tzinfo=berlin))
    assert moved.time == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert moved.time.tzinfo is UTC


def test_every_action_of_the_design_exists() -> None:
    assert {a.value for a in AuditAction} == {
        "backup", "verification", "restore", "retention-delete", "key-create", "key-rotate",
        "key-rewrap", "key-retire", "key-destroy", "erasure-replay", "shred",
    }  # fmt: skip
    assert OPERATOR_ACTOR == "strongroom-operator"
