"""What a wrapped data key is, what it is bound to, and the port every wrapper implements.

A data key (DEK) is stored only wrapped, in the manifest, by one or more key-encryption keys:
a version of a key ring (``kind="keyring"``) or an AWS KMS key (``kind="kms"``). Each wrap is
bound to the backup's identity (:class:`KeyBinding`) as associated data or KMS encryption
context, so a wrapped key copied into another backup's manifest does not unwrap there.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from strongroom.crypto.header import Header, canonical_json, format_time, parse_time
from strongroom.errors import FormatError

WrapKind = Literal["keyring", "kms"]
_KINDS: tuple[WrapKind, ...] = ("keyring", "kms")


@dataclass(frozen=True)
class KeyBinding:
    """The backup identity a wrapped data key is bound to."""

    namespace: str
    policy: str
    backup: str

    @classmethod
    def for_header(cls, header: Header) -> KeyBinding:
        """The binding of the backup a data-object header names."""
        return cls(header.namespace, header.policy, header.backup)

    def encode(self) -> bytes:
        """Canonical bytes (sorted-key compact JSON)."""
        return canonical_json(
            {"namespace": self.namespace, "policy": self.policy, "backup": self.backup}
        )

    def encryption_context(self) -> dict[str, str]:
        """The AWS KMS encryption context for this binding."""
        return {
            "strongroom:namespace": self.namespace,
            "strongroom:policy": self.policy,
            "strongroom:backup": self.backup,
        }

    @property
    def identity(self) -> str:
        """``namespace/policy/backup``, for messages."""
        return f"{self.namespace}/{self.policy}/{self.backup}"


@dataclass(frozen=True)
class WrappedKey:
    """One wrapped copy of a backup's data key, naming the key that can unwrap it.

    ``key_version`` is a string so a key ring version (``"3"``) and a KMS key ARN both fit.
    ``wrapped`` is opaque: nonce and ciphertext for a key ring, a KMS ciphertext blob for KMS.
    """

    kind: WrapKind
    key_id: str
    key_version: str
    wrapped: bytes
    created: datetime

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise FormatError(f"wrapped key kind must be one of {list(_KINDS)}")
        if not isinstance(self.created, datetime) or self.created.utcoffset() is None:
            raise FormatError("wrapped key created must be a timezone-aware datetime")

    @property
    def label(self) -> str:
        """What key unwraps this entry, for messages: ``keyring main v2``."""
        if self.kind == "keyring":
            return f"key ring {self.key_id} v{self.key_version}"
        return f"KMS key {self.key_version or self.key_id}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object form used in manifests."""
        return {
            "kind": self.kind,
            "keyId": self.key_id,
            "keyVersion": self.key_version,
            "wrapped": base64.b64encode(self.wrapped).decode(),
            "created": format_time(self.created),
        }

    @classmethod
    def from_dict(cls, data: object) -> WrappedKey:
        """Parse :meth:`to_dict` output; :class:`FormatError` on anything else."""
        if not isinstance(data, dict):
            raise FormatError("a wrapped key entry must be a JSON object")
        kind = data.get("kind")
        if kind not in _KINDS:
            raise FormatError(f"wrapped key kind must be one of {list(_KINDS)}")
        key_id, key_version = data.get("keyId"), data.get("keyVersion")
        if not isinstance(key_id, str) or not key_id or not isinstance(key_version, str):
            raise FormatError("wrapped key entry needs string keyId and keyVersion")
        raw = data.get("wrapped")
        if not isinstance(raw, str):
            raise FormatError("wrapped key entry needs a base64 'wrapped' string")
        try:
            wrapped = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise FormatError("wrapped key entry 'wrapped' is not base64") from None
        created = parse_time(data.get("created"), what="wrapped key entry created")
        return cls(kind, key_id, key_version, wrapped, created)

    def to_json(self) -> bytes:
        """Canonical JSON bytes."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes) -> WrappedKey:
        """Parse :meth:`to_json` output; :class:`FormatError` on anything else."""
        try:
            parsed = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise FormatError("wrapped key is not UTF-8 JSON") from None
        return cls.from_dict(parsed)


class KeyWrapper(Protocol):
    """Wraps and unwraps data keys with one key-encryption key (ring or KMS)."""

    def wrap(self, dek: bytes, binding: KeyBinding) -> WrappedKey:
        """Wrap ``dek`` for the backup ``binding`` names."""
        ...

    def unwrap(self, wrapped: WrappedKey, binding: KeyBinding) -> bytes:
        """Return the DEK; :class:`KeyUnavailableError` or :class:`IntegrityError` otherwise."""
        ...

    def can_unwrap(self, wrapped: WrappedKey) -> bool:
        """Whether this wrapper holds the key ``wrapped`` names (it may still fail to open)."""
        ...
