"""Fingerprints notice a single changed value, and name only the table that changed."""

from __future__ import annotations

from tests.integration.engines.conftest import EngineCase

from strongroom.api.fingerprints import fingerprints_differ


def _by_table(fingerprints: tuple) -> dict[str, object]:  # type: ignore[type-arg]
    return {f.table.split(".")[-1]: f for f in fingerprints}


def test_one_changed_value_changes_that_tables_fingerprint_only(case: EngineCase) -> None:
    before = case.engine.fingerprints(case.store.connection)
    case.execute("UPDATE order_items SET quantity = quantity + 1 WHERE id = 4242")
    after = case.engine.fingerprints(case.store.connection)

    changed = {name for name, f in _by_table(after).items() if _by_table(before)[name] != f}
    assert changed == {"order_items"}
    problems = fingerprints_differ(before, after)
    assert len(problems) == 1
    assert "content differs" in problems[0]
    assert "4242" not in problems[0]  # never row data in messages


def test_a_deleted_row_changes_the_row_count(case: EngineCase) -> None:
    before = _by_table(case.engine.fingerprints(case.store.connection))
    case.execute("DELETE FROM support_tickets WHERE id = 3")
    after = _by_table(case.engine.fingerprints(case.store.connection))
    assert after["support_tickets"].rows == before["support_tickets"].rows - 1  # type: ignore[attr-defined]


def test_fingerprints_are_stable_when_nothing_changes(case: EngineCase) -> None:
    assert case.engine.fingerprints(case.store.connection) == case.engine.fingerprints(
        case.store.connection
    )


def test_null_the_text_null_and_an_empty_value_fingerprint_differently(case: EngineCase) -> None:
    blob = "bytea" if case.engine.name == "postgresql" else "blob"
    case.execute(f"CREATE TABLE nulls (id int PRIMARY KEY, note varchar(10), data {blob})")
    case.execute("INSERT INTO nulls VALUES (1, NULL, NULL)")
    seen = [_by_table(case.engine.fingerprints(case.store.connection))["nulls"]]
    for note, data in (("'NULL'", "''"), ("''", "NULL"), ("NULL", "''")):
        case.execute(f"UPDATE nulls SET note = {note}, data = {data} WHERE id = 1")  # noqa: S608 - constants
        seen.append(_by_table(case.engine.fingerprints(case.store.connection))["nulls"])
    assert len(set(seen)) == 4  # NULL, 'NULL' and empty are told apart in every column
    assert {f.rows for f in seen} == {1}  # type: ignore[attr-defined]
