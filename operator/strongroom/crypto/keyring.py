"""Key-encryption keys (KEKs) in versions, and the rules that keep every backup openable.

A key ring is one key id with numbered versions. Exactly one version is primary (it wraps new
data keys); older ones stay ``decrypt-only`` until no retained backup needs them, then may be
``retired`` (material kept, unwrapping refused, so a forgotten backup can still be rescued by
reinstating) and finally ``destroyed`` (material gone: crypto-shredding). Material is never
edited in place: rotation adds a version, and each version's bytes live under their own
Secret key (``kek-v1``, ``kek-v2``, ...) that is written once. See ``docs/keys.md``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.crypto.header import canonical_json, format_time
from strongroom.crypto.keyring_layout import (
    LAYOUT_VERSION,
    parse_json,
    ring_entries,
    secret_json_data,
)
from strongroom.crypto.keystate import KeyState
from strongroom.crypto.wrapping import KeyBinding, KeyWrapper, WrappedKey
from strongroom.errors import ConfigError, FormatError, IntegrityError, KeyUnavailableError

__all__ = [
    "KEK_SIZE",
    "METADATA_KEY",
    "KeyBinding",
    "KeyRing",
    "KeyRingWrapper",
    "KeyState",
    "KeyVersion",
    "KeyWrapper",
    "WrappedKey",
    "material_key",
]

#: The Secret key holding the ring's metadata (never key material).
METADATA_KEY = "keyring.json"
KEK_SIZE = 32
_EXPORT_KIND = "strongroom-keyring-export"
_WRAP_NONCE_SIZE = 12


def material_key(version: int) -> str:
    """The Secret key that holds version ``version``'s 32 raw bytes."""
    return f"kek-v{version}"


@dataclass(frozen=True)
class KeyVersion:
    """One version of a KEK; ``material`` is ``None`` once destroyed and never printed."""

    key_id: str
    version: int
    created: datetime
    state: KeyState
    material: bytes | None = field(repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.created, datetime) or self.created.utcoffset() is None:
            raise ConfigError(f"key {self.key_id} v{self.version}: created must be timezone-aware")
        if self.state is KeyState.DESTROYED:
            if self.material is not None:
                raise ConfigError(
                    f"key {self.key_id} v{self.version} is destroyed yet has material"
                )
        elif self.material is None or len(self.material) != KEK_SIZE:
            raise ConfigError(
                f"key {self.key_id} v{self.version} ({self.state}) needs {KEK_SIZE} bytes of "
                "material"
            )

    @property
    def label(self) -> str:
        """``key_id v<version>``, for messages and audit lines."""
        return f"key ring {self.key_id} v{self.version}"


def _refs(referenced: Collection[int] | Mapping[int, int], version: int) -> int:
    if isinstance(referenced, Mapping):
        return int(referenced.get(version, 0))
    return 1 if version in referenced else 0


@dataclass(frozen=True)
class KeyRing:
    """All versions of one KEK; every change returns a new ring."""

    key_id: str
    versions: tuple[KeyVersion, ...]

    def __post_init__(self) -> None:
        numbers = [v.version for v in self.versions]
        if len(set(numbers)) != len(numbers):
            raise ConfigError(f"key ring {self.key_id} lists a version twice: {sorted(numbers)}")
        primaries = [v for v in self.versions if v.state is KeyState.PRIMARY]
        if len(primaries) != 1:
            raise ConfigError(
                f"key ring {self.key_id} has {len(primaries)} primary versions; it needs exactly "
                "one (rotate, or restore the Secret from escrow)"
            )
        if any(v.key_id != self.key_id for v in self.versions):
            raise ConfigError(f"key ring {self.key_id} holds a version of another key")
        object.__setattr__(self, "versions", tuple(sorted(self.versions, key=lambda v: v.version)))

    def primary(self) -> KeyVersion:
        """The version that wraps new data keys."""
        return next(v for v in self.versions if v.state is KeyState.PRIMARY)

    def get(self, version: int) -> KeyVersion | None:
        """Version ``version``, or ``None`` if the ring never had it."""
        return next((v for v in self.versions if v.version == version), None)

    def _require(self, version: int) -> KeyVersion:
        found = self.get(version)
        if found is None:
            raise ConfigError(f"key ring {self.key_id} has no version {version}")
        return found

    def _with(self, changed: KeyVersion) -> KeyRing:
        others = tuple(v for v in self.versions if v.version != changed.version)
        return KeyRing(self.key_id, (*others, changed))

    @classmethod
    def generate(cls, key_id: str, now: datetime) -> KeyRing:
        """A new ring whose version 1 is primary."""
        if not key_id or not key_id.isprintable() or "/" in key_id:
            raise ConfigError("a key id must be printable text without '/'")
        return cls(key_id, (KeyVersion(key_id, 1, now, KeyState.PRIMARY, os.urandom(KEK_SIZE)),))

    def rotate(self, now: datetime) -> KeyRing:
        """Add a new primary version; the old primary becomes decrypt-only. No material changes."""
        old = self.primary()
        new = KeyVersion(
            self.key_id,
            max(v.version for v in self.versions) + 1,
            now,
            KeyState.PRIMARY,
            os.urandom(KEK_SIZE),
        )
        return KeyRing(
            self.key_id,
            (
                *(v for v in self.versions if v is not old),
                replace(old, state=KeyState.DECRYPT_ONLY),
                new,
            ),
        )

    def _refuse_if_needed(
        self, version: KeyVersion, referenced: Collection[int] | Mapping[int, int], action: str
    ) -> None:
        if version.state is KeyState.PRIMARY:
            raise ConfigError(
                f"cannot {action} {version.label}: it is the primary version; rotate first"
            )
        count = _refs(referenced, version.version)
        if count:
            backups = (
                f"{count} retained backup{'s still need' if count != 1 else ' still needs'} it"
                if isinstance(referenced, Mapping)
                else "retained backups still need it"
            )
            raise ConfigError(
                f"cannot {action} {version.label}: {backups}; re-wrap their "
                "manifests with the primary version first"
            )

    def retire(self, version: int, *, referenced: Collection[int] | Mapping[int, int]) -> KeyRing:
        """Stop using ``version`` for unwrapping (material kept) once no backup needs it."""
        found = self._require(version)
        if found.state is KeyState.DESTROYED:
            raise ConfigError(f"cannot retire {found.label}: it is already destroyed")
        self._refuse_if_needed(found, referenced, "retire")
        return self._with(replace(found, state=KeyState.RETIRED))

    def reinstate(self, version: int) -> KeyRing:
        """Bring a retired version back to decrypt-only (a forgotten backup turned up)."""
        found = self._require(version)
        if found.state is not KeyState.RETIRED:
            raise ConfigError(f"cannot reinstate {found.label}: it is {found.state}, not retired")
        return self._with(replace(found, state=KeyState.DECRYPT_ONLY))

    def destroy(self, version: int, *, referenced: Collection[int] | Mapping[int, int]) -> KeyRing:
        """Drop ``version``'s material for good (crypto-shredding); refused while referenced."""
        found = self._require(version)
        if found.state is KeyState.DESTROYED:
            return self
        self._refuse_if_needed(found, referenced, "destroy")
        return self._with(replace(found, state=KeyState.DESTROYED, material=None))

    # --- Kubernetes Secret layout -------------------------------------------------------

    def _metadata(self) -> dict[str, Any]:
        return {
            "layout": LAYOUT_VERSION,
            "keyId": self.key_id,
            "versions": [
                {"version": v.version, "created": format_time(v.created), "state": str(v.state)}
                for v in self.versions
            ],
        }

    def to_secret_data(self) -> dict[str, bytes]:
        """Secret ``data``: ``keyring.json`` (metadata) plus ``kek-vN`` (32 raw bytes each)."""
        data = {METADATA_KEY: canonical_json(self._metadata())}
        for v in self.versions:
            if v.material is not None:
                data[material_key(v.version)] = v.material
        return data

    @classmethod
    def from_secret_data(cls, data: Mapping[str, bytes]) -> KeyRing:
        """Parse a key ring Secret's data; :class:`ConfigError` naming the Secret key and fix."""
        raw = data.get(METADATA_KEY)
        if raw is None:
            raise ConfigError(
                f"key ring Secret has no {METADATA_KEY!r} key: restore the ring from the escrow "
                "export with `strongroom keys import` (the operator creates a new ring only "
                "while the policy has no backups)"
            )
        meta = parse_json(raw, where=f"Secret key {METADATA_KEY!r}")
        entries = ring_entries(meta, where=f"Secret key {METADATA_KEY!r}")
        key_id: str = meta["keyId"]
        known = {material_key(number) for number, _, _ in entries}
        stray = sorted(k for k in data if k.startswith("kek-v") and k not in known)
        if stray:
            raise ConfigError(
                f"key ring Secret holds {stray} that {METADATA_KEY!r} does not list: "
                "restore the Secret from the escrow export"
            )
        versions: list[KeyVersion] = []
        for number, created, state in entries:
            name = material_key(number)
            material = data.get(name)
            if state is KeyState.DESTROYED and material is not None:
                raise ConfigError(
                    f"Secret key {name!r} still holds material although version {number} is "
                    f"destroyed: delete {name!r} from the Secret to finish the shredding"
                )
            if state is not KeyState.DESTROYED and (material is None or len(material) != KEK_SIZE):
                raise ConfigError(
                    f"Secret key {name!r} must hold {KEK_SIZE} raw bytes for version {number} "
                    f"({state}): restore it from the escrow export"
                )
            versions.append(KeyVersion(key_id, number, created, state, material))
        return cls(key_id, tuple(versions))

    # --- escrow export ------------------------------------------------------------------

    def to_export_json(self) -> bytes:
        """The whole ring, material included, as a file to keep outside the cluster."""
        meta = self._metadata()
        meta["kind"] = _EXPORT_KIND
        for entry, v in zip(meta["versions"], self.versions, strict=True):
            if v.material is not None:
                entry["material"] = base64.b64encode(v.material).decode()
        return json.dumps(meta, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_export_json(cls, data: bytes) -> KeyRing:
        """Read an escrow file; :class:`ConfigError` if it is not one.

        Accepts :meth:`to_export_json` output and also the key ring Secret itself as
        ``kubectl get secret <name> -o json`` prints it, so either can be kept in escrow.
        """
        where = "key ring export file"
        meta = parse_json(data, where=where)
        if meta.get("kind") == "Secret" and meta.get("apiVersion") == "v1":
            return cls.from_secret_data(secret_json_data(meta, where=where))
        if meta.get("kind") != _EXPORT_KIND:
            raise ConfigError(f"{where} is not a Strongroom key ring export (kind is missing)")
        entries = ring_entries(meta, where=where)
        versions: list[KeyVersion] = []
        for (number, created, state), entry in zip(entries, meta["versions"], strict=True):
            material = None
            if "material" in entry:
                try:
                    material = base64.b64decode(entry["material"], validate=True)
                except (binascii.Error, TypeError, ValueError):
                    raise ConfigError(
                        f"{where}: material of version {number} is not base64"
                    ) from None
            versions.append(KeyVersion(meta["keyId"], number, created, state, material))
        return cls(meta["keyId"], tuple(versions))


_UNWRAPPING_STATES = frozenset({KeyState.PRIMARY, KeyState.DECRYPT_ONLY})


class KeyRingWrapper:
    r"""A :class:`KeyWrapper` backed by a key ring: AES-256-GCM under a KEK version.

    ``wrapped`` = 12-byte random nonce || AES-GCM(KEK, nonce, DEK, aad), with
    aad = ``b"strongroom wrap v1\x00" || binding || b"\x00" || key id || b"\x00" || version``.
    New wraps use the primary version; unwrapping uses whichever version the entry names.
    """

    def __init__(self, ring: KeyRing, *, clock: Callable[[], datetime] | None = None) -> None:
        self.ring = ring
        self._clock = clock or (lambda: datetime.now(UTC))

    @staticmethod
    def _aad(binding: KeyBinding, key_id: str, version: int) -> bytes:
        return b"\x00".join(
            (b"strongroom wrap v1", binding.encode(), key_id.encode(), str(version).encode())
        )

    def wrap(self, dek: bytes, binding: KeyBinding) -> WrappedKey:
        """Wrap ``dek`` with the primary version, bound to ``binding``."""
        if len(dek) != KEK_SIZE:
            raise FormatError("a data key must be exactly 32 bytes (AES-256)")
        primary = self.ring.primary()
        assert primary.material is not None  # noqa: S101 - a primary always has material
        nonce = os.urandom(_WRAP_NONCE_SIZE)
        sealed = AESGCM(primary.material).encrypt(
            nonce, bytes(dek), self._aad(binding, self.ring.key_id, primary.version)
        )
        return WrappedKey(
            "keyring", self.ring.key_id, str(primary.version), nonce + sealed, self._clock()
        )

    def _version_of(self, wrapped: WrappedKey) -> KeyVersion | None:
        if wrapped.kind != "keyring" or wrapped.key_id != self.ring.key_id:
            return None
        if not wrapped.key_version.isdigit():
            return None
        return self.ring.get(int(wrapped.key_version))

    def can_unwrap(self, wrapped: WrappedKey) -> bool:
        """Whether the named version is in this ring with usable material."""
        found = self._version_of(wrapped)
        return found is not None and found.state in _UNWRAPPING_STATES

    def unwrap(self, wrapped: WrappedKey, binding: KeyBinding) -> bytes:
        """Unwrap with the version the entry names, for the backup ``binding`` names."""
        found = self._version_of(wrapped)
        if found is None:
            raise KeyUnavailableError(
                f"backup {binding.identity} needs {wrapped.label}, which key ring "
                f"{self.ring.key_id} does not hold: load the key ring Secret or escrow export "
                "that has it"
            )
        if found.state is KeyState.DESTROYED:
            raise KeyUnavailableError(
                f"backup {binding.identity} needs {found.label}, which was destroyed "
                "(crypto-shredded): this backup can no longer be opened"
            )
        if found.state is KeyState.RETIRED:
            raise KeyUnavailableError(
                f"backup {binding.identity} needs {found.label}, which is retired: reinstate "
                "the version to open it"
            )
        assert found.material is not None  # noqa: S101 - checked by KeyVersion
        nonce, sealed = wrapped.wrapped[:_WRAP_NONCE_SIZE], wrapped.wrapped[_WRAP_NONCE_SIZE:]
        try:
            return AESGCM(found.material).decrypt(
                nonce, sealed, self._aad(binding, self.ring.key_id, found.version)
            )
        except (InvalidTag, ValueError):
            raise IntegrityError(
                f"the data key wrapped with {found.label} does not unwrap for backup "
                f"{binding.identity}: the entry belongs to another backup or was altered"
            ) from None
