"""The agent replays ledger entries in order and reports rows per entry; a failing entry stops
the replay with an error naming the entry id (never a key value); the counts of thousands of
entries still fit the termination message; and the job file refuses SQL where an identifier
belongs, naming the field."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from strongroom.agent.config import parse_job
from strongroom.agent.erasure import replay_erasures
from strongroom.agent.report import TERMINATION_MESSAGE_LIMIT, AgentResult
from strongroom.api.erasure import ErasureDelete, ErasureEntry
from strongroom.engines.base import Connection
from strongroom.errors import ConfigError, EngineError

TARGET = Connection("db", 5432, "shop", "restorer", None)


def entry(entry_id: str, *keys: str) -> ErasureEntry:
    return ErasureEntry.model_validate(
        {"id": entry_id, "deletes": [{"table": "customers", "column": "id", "values": list(keys)}]}
    )


def test_entries_are_replayed_in_order_and_counted() -> None:
    seen: list[list[str]] = []

    def eraser(conn: Connection, deletes: Sequence[ErasureDelete]) -> int:
        assert conn is TARGET
        seen.append([v for d in deletes for v in d.values])
        return len(seen[-1])

    counts = replay_erasures(
        "postgresql", TARGET, [entry("A-1", "7"), entry("A-2", "8", "9")], eraser=eraser
    )
    assert counts == [1, 2]
    assert seen == [["7"], ["8", "9"]]


def test_a_failing_entry_is_named_by_id_and_stops_the_replay() -> None:
    def eraser(conn: Connection, deletes: Sequence[ErasureDelete]) -> int:
        if "bob@example.com" in deletes[0].values:
            raise EngineError(
                "erasure in public.customers failed: foreign key", reason="ErasureFailed"
            )
        return 1

    entries = [entry("A-1", "7"), entry("A-2", "bob@example.com"), entry("A-3", "9")]
    with pytest.raises(EngineError) as failure:
        replay_erasures("mysql", TARGET, entries, eraser=eraser)
    assert failure.value.reason == "ErasureFailed"
    assert "A-2 (2 of 3)" in str(failure.value)
    assert "still holds subjects erased" in str(failure.value)
    assert "bob@example.com" not in str(failure.value)


def test_no_ledger_means_no_database_call() -> None:
    def eraser(conn: Connection, deletes: Sequence[ErasureDelete]) -> int:
        raise AssertionError("called")

    assert replay_erasures("postgresql", TARGET, [], eraser=eraser) == []


def test_counts_of_thousands_of_entries_fit_the_termination_message() -> None:
    result = AgentResult(
        role="restore", outcome="succeeded", erasure_entries=5000, erasure_rows=5000 * 123_456,
        erasure_counts=[123_456] * 5000,
    )  # fmt: skip
    text = result.to_compact_json()
    assert len(text.encode()) <= TERMINATION_MESSAGE_LIMIT
    back = AgentResult.from_json(text)
    assert back.erasure_entries == 5000
    assert len(back.erasure_counts) == 100


def test_the_job_file_refuses_sql_where_an_identifier_belongs() -> None:
    job = {
        "role": "restore",
        "engine": "postgresql",
        "storage": {"bucket": "backups"},
        "identity": {"namespace": "shop", "policy": "orders", "backup": "orders-1"},
        "dekFile": "/var/run/strongroom/job/dek",
        "restore": {
            "target": {"host": "db", "port": 5432, "database": "shop", "user": "restorer"},
            "erasures": [
                {
                    "id": "A-1",
                    "deletes": [
                        {"table": "customers; DROP TABLE x", "column": "id", "values": ["1"]}
                    ],
                }
            ],
        },
    }
    with pytest.raises(ConfigError, match=r"restore\.erasures\.0\.deletes\.0\.table"):
        parse_job(job)
