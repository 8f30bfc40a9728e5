"""Table fingerprints: what a database held, per table, at dump time and after a restore.

Shared by the engines (which compute them), the backup manifest (which records them) and the
``Backup`` status (which reports them), so all three speak of one type.

Since :data:`FINGERPRINT_METHOD` ``dump-stream/1`` a fingerprint is taken from the dump itself:
``rows`` is the table's row count in the dump (docs/engines.md), ``sha256`` the hash of the table's
data exactly as the dump tool wrote it, in dump order (docs/format.md). After a restore the
engine dumps the restored database the same way, so equal data yields equal hashes. A hash
depends on the tool's output format, so hashes are compared only between fingerprints of the
same method taken by the same tool versions; otherwise only row counts are
(:func:`hashes_not_comparable`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The manifest's marker for fingerprints taken from the dump stream (docs/format.md).
FINGERPRINT_METHOD = "dump-stream/1"


@dataclass(frozen=True, order=True)
class TableFingerprint:
    """Row count and content hash of one table.

    ``table`` is schema-qualified on PostgreSQL (``public.orders``; ``pg_largeobject`` holds
    every large object) and bare on MariaDB/MySQL (the schema is the database, which a restore
    may rename). ``sha256`` is the lowercase hex digest of the table's data as the engine's
    dump tool wrote it, so the same tool yields the same value for the same content before and
    after a restore.
    """

    table: str
    rows: int
    sha256: str


def hashes_not_comparable(
    method: str, recorded_tools: Mapping[str, str], current_tools: Mapping[str, str]
) -> str | None:
    """Why recorded hashes cannot be compared with fresh ones, or ``None`` when they can.

    ``method`` is the manifest's marker (empty in manifests older than the marker); the tool
    maps are tool name → version line, at dump time and now. Only tools named in both count.
    """
    if method != FINGERPRINT_METHOD:
        was = f"method {method!r}" if method else "an older method"
        return f"the backup's fingerprints were taken by {was}, not {FINGERPRINT_METHOD}"
    changed = sorted(
        name
        for name in recorded_tools.keys() & current_tools.keys()
        if recorded_tools[name] != current_tools[name]
    )
    if changed:
        return (
            f"the dump tools changed since the backup ({', '.join(changed)}), and a hash "
            "is of the tool's output"
        )
    return None


def fingerprints_differ(
    expected: tuple[TableFingerprint, ...],
    actual: tuple[TableFingerprint, ...],
    *,
    rows_only: bool = False,
) -> list[str]:
    """Return one human sentence per difference; empty when both sides hold the same data.

    With ``rows_only`` neither hashes nor tables only the restore has are compared (see
    :func:`hashes_not_comparable`).
    """
    problems: list[str] = []
    want = {f.table: f for f in expected}
    have = {f.table: f for f in actual}
    problems.extend(
        f"table {name} is missing after restore" for name in sorted(want.keys() - have.keys())
    )
    if not rows_only:  # an older method may not have fingerprinted every table taken now
        problems.extend(
            f"table {name} was not in the backup" for name in sorted(have.keys() - want.keys())
        )
    for name in sorted(want.keys() & have.keys()):
        w, h = want[name], have[name]
        if w.rows != h.rows:
            problems.append(f"table {name}: {h.rows} rows after restore, {w.rows} at dump time")
        elif w.sha256 != h.sha256 and not rows_only:
            problems.append(f"table {name}: content differs from dump time (same row count)")
    return problems
