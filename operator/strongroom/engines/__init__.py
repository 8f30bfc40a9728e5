"""Database engines, one module each, found by name so adding one touches one module.

:func:`engine_for` imports the engine module lazily: the PostgreSQL engine never loads the
MariaDB driver and vice versa (import-linter keeps the two modules independent).
"""

from __future__ import annotations

import importlib

from strongroom.engines.base import Connection, Dump, Engine, TableFingerprint, TLSMode
from strongroom.errors import ConfigError

__all__ = [
    "ENGINE_NAMES",
    "Connection",
    "Dump",
    "Engine",
    "TLSMode",
    "TableFingerprint",
    "engine_for",
]

#: Engine name (as written in a BackupPolicy) → "module:factory".
_REGISTRY: dict[str, str] = {
    "postgresql": "strongroom.engines.postgres:PostgresEngine",
    "mysql": "strongroom.engines.mysql:MySQLEngine",
}
_ALIASES: dict[str, str] = {"postgres": "postgresql", "mariadb": "mysql"}

#: The names a policy may use for ``engine``.
ENGINE_NAMES: tuple[str, ...] = tuple(_REGISTRY)


def engine_for(name: str) -> Engine:
    """Return the engine registered as ``name`` (``postgresql`` or ``mysql``; aliases accepted).

    Raises:
        ConfigError: No engine has that name; the message lists the known ones.
    """
    key = _ALIASES.get(name, name)
    target = _REGISTRY.get(key)
    if target is None:
        raise ConfigError(
            f"unknown database engine {name!r}; use one of: {', '.join(ENGINE_NAMES)}",
            reason="UnknownEngine",
        )
    module_name, factory = target.split(":")
    engine: Engine = getattr(importlib.import_module(module_name), factory)()
    return engine
