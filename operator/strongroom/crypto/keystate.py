"""The life cycle states of a key-encryption key version (see ``docs/keys.md``)."""

from __future__ import annotations

from enum import StrEnum


class KeyState(StrEnum):
    """Life cycle of one KEK version."""

    PRIMARY = "primary"
    DECRYPT_ONLY = "decrypt-only"
    RETIRED = "retired"
    DESTROYED = "destroyed"
