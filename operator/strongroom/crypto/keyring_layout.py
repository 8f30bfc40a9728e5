"""Parsing the key ring's stored forms: the Secret's metadata and the escrow files.

Kept apart from :mod:`strongroom.crypto.keyring` so the rules (states, rotation) read without
the parsing. Everything here raises :class:`ConfigError` naming where the problem is and the
fix, never a ``KeyError`` or ``ValueError``: a person has to act on it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from strongroom.crypto.header import parse_time
from strongroom.crypto.keystate import KeyState
from strongroom.errors import ConfigError, FormatError

#: Version of the ``keyring.json`` layout.
LAYOUT_VERSION = 1


def parse_json(raw: bytes, *, where: str) -> dict[str, Any]:
    """Parse a JSON object; ``where`` names the Secret key or file in the error."""
    try:
        parsed = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, TypeError):
        raise ConfigError(f"{where} is not UTF-8 JSON: restore it from the escrow export") from None
    if not isinstance(parsed, dict):
        raise ConfigError(f"{where} must be a JSON object")
    return parsed


def secret_json_data(secret: dict[str, Any], *, where: str) -> dict[str, bytes]:
    """Decode the ``data`` of a Secret as ``kubectl get secret -o json`` prints it."""
    encoded = secret.get("data")
    if not isinstance(encoded, dict):
        raise ConfigError(f"{where}: the Secret has no data")
    decoded: dict[str, bytes] = {}
    for name, value in encoded.items():
        try:
            decoded[str(name)] = base64.b64decode(str(value), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError(f"{where}: Secret key {name!r} is not base64") from None
    return decoded


def ring_entries(meta: dict[str, Any], *, where: str) -> list[tuple[int, datetime, KeyState]]:
    """Validate ring metadata; return ``(version, created, state)`` per listed version."""
    if meta.get("layout") != LAYOUT_VERSION:
        raise ConfigError(f"{where}: layout must be {LAYOUT_VERSION}; this build reads no other")
    key_id = meta.get("keyId")
    if not isinstance(key_id, str) or not key_id or not key_id.isprintable():
        raise ConfigError(f"{where}: keyId must be a non-empty string")
    raw_versions = meta.get("versions")
    if not isinstance(raw_versions, list) or not raw_versions:
        raise ConfigError(f"{where}: versions must be a non-empty list")
    entries: list[tuple[int, datetime, KeyState]] = []
    for position, entry in enumerate(raw_versions):
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: versions[{position}] must be an object")
        number = entry.get("version")
        if type(number) is not int or number < 1:
            raise ConfigError(f"{where}: versions[{position}].version must be a positive integer")
        try:
            created = parse_time(
                entry.get("created"), what=f"{where}: versions[{position}].created"
            )
            state = KeyState(str(entry.get("state")))
        except FormatError as exc:
            raise ConfigError(str(exc)) from None
        except ValueError:
            raise ConfigError(
                f"{where}: versions[{position}].state must be one of {[str(s) for s in KeyState]}"
            ) from None
        entries.append((number, created, state))
    return entries
