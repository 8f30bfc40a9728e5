"""Replaying an erasure ledger into a freshly restored database.

Each entry's deletes run in one transaction through the engine's ``erase_by_key`` (table and
column quoted as identifiers, key values bound as parameters). Logs and errors name the entry
id and the table, never a key value: the values are personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from strongroom.agent import logs
from strongroom.api.erasure import ErasureDelete, ErasureEntry
from strongroom.engines.base import Connection
from strongroom.errors import ConfigError, EngineError

Eraser = Callable[[Connection, Sequence[ErasureDelete]], int]


def eraser_for(engine: str) -> Eraser:
    """Return the engine's ``erase_by_key`` (imported only when a ledger is replayed)."""
    if engine == "postgresql":
        from strongroom.engines.postgres import erase_by_key  # noqa: PLC0415 - driver on use

        return erase_by_key
    if engine in {"mysql", "mariadb"}:
        from strongroom.engines.mysql import erase_by_key as erase_mysql  # noqa: PLC0415

        return erase_mysql
    raise ConfigError(f"engine: {engine!r} has no erasure replay", reason="EngineUnsupported")


def replay_erasures(
    engine: str,
    target: Connection,
    entries: Sequence[ErasureEntry],
    *,
    eraser: Eraser | None = None,
) -> list[int]:
    """Replay ``entries`` in order into ``target``; return the rows each one deleted.

    Raises:
        EngineError: An entry failed (reason ``ErasureFailed``/``ErasureIncomplete``); entries
            before it stay applied, it and the ones after it are not.
    """
    if not entries:
        return []
    erase = eraser or eraser_for(engine)
    counts: list[int] = []
    logs.step("erasure", "erasure replay started", entries=len(entries))
    for index, entry in enumerate(entries):
        try:
            counts.append(erase(target, entry.deletes))
        except EngineError as exc:
            raise EngineError(
                f"erasure ledger entry {entry.id} ({index + 1} of {len(entries)}): {exc}; the "
                f"restored database still holds subjects erased after the backup",
                reason=exc.reason,
            ) from None
    logs.step("erasure", "erasure replay finished", entries=len(counts), rows=sum(counts))
    return counts
