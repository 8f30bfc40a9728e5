"""Table fingerprints: what a database held, per table, at dump time and after a restore.

Shared by the engines (which compute them), the backup manifest (which records them) and the
``Backup`` status (which reports them), so all three speak of one type.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class TableFingerprint:
    """Row count and content hash of one table.

    ``table`` is schema-qualified (``public.orders``); ``sha256`` is the lowercase hex digest of
    the table's rows in primary-key order, rendered by the engine's own canonical text form, so
    the same engine yields the same value for the same content before and after a restore.
    """

    table: str
    rows: int
    sha256: str


def fingerprints_differ(
    expected: tuple[TableFingerprint, ...], actual: tuple[TableFingerprint, ...]
) -> list[str]:
    """Return one human sentence per difference; empty when both sides hold the same data."""
    problems: list[str] = []
    want = {f.table: f for f in expected}
    have = {f.table: f for f in actual}
    problems.extend(
        f"table {name} is missing after restore" for name in sorted(want.keys() - have.keys())
    )
    problems.extend(
        f"table {name} was not in the backup" for name in sorted(have.keys() - want.keys())
    )
    for name in sorted(want.keys() & have.keys()):
        w, h = want[name], have[name]
        if w.rows != h.rows:
            problems.append(f"table {name}: {h.rows} rows after restore, {w.rows} at dump time")
        elif w.sha256 != h.sha256:
            problems.append(f"table {name}: content differs from dump time (same row count)")
    return problems
