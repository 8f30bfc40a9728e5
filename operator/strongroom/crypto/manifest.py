"""The small rewritable manifest beside each immutable data object.

The data object never changes after upload; everything that may change (which keys wrap the
data key) lives here. A MAC keyed from the data key covers every field except the wrapped keys
and the MAC itself, so key rotation rewrites only ``wrapped_keys`` and anyone who can unwrap
the data key can check that nothing else was edited. Re-wrapping follows the safe order: add
the new wrap, prove it unwraps, write, then drop the old ones, write again. A crash between
the two writes leaves a manifest that both keys open; re-running converges.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.api.fingerprints import TableFingerprint
from strongroom.crypto.header import Header, canonical_json
from strongroom.crypto.manifest_json import dumps, manifest_fields, manifest_to_dict
from strongroom.crypto.wrapping import KeyBinding, KeyWrapper, WrappedKey
from strongroom.errors import (
    ConfigError,
    CryptoError,
    FormatError,
    IntegrityError,
    KeyUnavailableError,
)

__all__ = [
    "MANIFEST_VERSION",
    "Manifest",
    "add_wrap",
    "drop_wraps",
    "from_json",
    "object_keys",
    "open_manifest",
    "reference_counts",
    "referenced_versions",
    "rewrap",
    "seal",
    "shred",
    "to_json",
    "verify",
]

MANIFEST_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
DATA_NAME = "data.sr"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """Everything known about one backup besides its data, and the wrapped data keys.

    Attributes:
        format_version: manifest format version (:data:`MANIFEST_VERSION`).
        header: the data object's header (the backup's identity).
        data_key: object key of the data object in the bucket.
        data_size: bytes of the data object as stored.
        data_sha256: lowercase hex SHA-256 of the data object as stored.
        plaintext_size: bytes the decrypted stream yields, i.e. what the encryption layer
            carried (the compressed dump); ``EncryptingWriter.plaintext_bytes``.
        compressed: compression of that stream (``zstd``); defaults to the header's.
        tools: dump tool name → version (``{"pg_dump": "16.4"}``).
        server_version: the database server's version at dump time.
        tables: table fingerprints taken at dump time.
        created: when the backup was taken.
        retention_deadline: earliest time retention may delete it, if fixed.
        wrapped_keys: wrapped copies of the data key (not covered by the MAC).
        mac: hex HMAC-SHA256 over every other field; empty until :func:`seal`.
        dump_size: bytes of the dump itself, before compression (informative), if known.
        fingerprints: how ``tables`` were taken (:data:`~strongroom.api.fingerprints.
            FINGERPRINT_METHOD`); empty in manifests written before the marker existed, whose
            hashes are not comparable with today's (stored only when set, so their MAC holds).
    """

    format_version: int = MANIFEST_VERSION
    header: Header
    data_key: str
    data_size: int
    data_sha256: str
    plaintext_size: int
    compressed: str = ""
    tools: dict[str, str] = field(default_factory=dict)
    server_version: str
    tables: tuple[TableFingerprint, ...] = ()
    created: datetime
    retention_deadline: datetime | None = None
    wrapped_keys: tuple[WrappedKey, ...] = ()
    mac: str = ""
    dump_size: int | None = None
    fingerprints: str = ""

    def __post_init__(self) -> None:
        if not self.compressed:
            object.__setattr__(self, "compressed", self.header.compression)
        # Refuse here what from_json would refuse, so nothing unreadable is ever sealed.
        if not _HEX64.fullmatch(self.data_sha256):
            raise FormatError("manifest data_sha256 must be 64 lowercase hex digits")
        if self.mac and not _HEX64.fullmatch(self.mac):
            raise FormatError("manifest mac must be empty or 64 lowercase hex digits")
        sizes = (self.data_size, self.plaintext_size, self.dump_size or 0)
        if any(type(size) is not int or size < 0 for size in sizes):
            raise FormatError("manifest sizes must be non-negative integers")
        for name in ("created", "retention_deadline"):
            moment = getattr(self, name)
            if moment is not None and (
                not isinstance(moment, datetime) or moment.utcoffset() is None
            ):
                raise FormatError(f"manifest {name} must be a timezone-aware datetime")

    @property
    def binding(self) -> KeyBinding:
        """The identity every wrapped key of this manifest is bound to."""
        return KeyBinding.for_header(self.header)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object form."""
        return manifest_to_dict(self)

    def to_json(self) -> bytes:
        """Manifest bytes as stored; same as :func:`to_json`."""
        return dumps(manifest_to_dict(self))

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse stored manifest bytes; same as :func:`from_json`."""
        return cls(**manifest_fields(data))


def _mac_body(manifest: Manifest) -> bytes:
    body = manifest.to_dict()
    del body["wrapped_keys"], body["mac"]
    return canonical_json(body)


def _mac(manifest: Manifest, dek: bytes) -> str:
    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"strongroom manifest v1").derive(dek)
    return hmac.new(key, _mac_body(manifest), hashlib.sha256).hexdigest()


def seal(manifest: Manifest, dek: bytes) -> Manifest:
    """Return ``manifest`` with its MAC computed from ``dek``."""
    return replace(manifest, mac=_mac(manifest, dek))


def verify(manifest: Manifest, dek: bytes) -> None:
    """Raise :class:`IntegrityError` ("manifest edited") unless the MAC matches."""
    if not hmac.compare_digest(manifest.mac, _mac(manifest, dek)):
        raise IntegrityError(
            f"manifest of backup {manifest.header.identity} was edited: its fields do not "
            "match its MAC (or the data key belongs to another backup)"
        )


def to_json(manifest: Manifest) -> bytes:
    """Manifest bytes as stored (sorted keys, indented for people)."""
    return dumps(manifest_to_dict(manifest))


def from_json(data: bytes) -> Manifest:
    """Parse stored manifest bytes; :class:`FormatError` on anything malformed."""
    return Manifest(**manifest_fields(data))


def open_manifest(manifest: Manifest, wrappers: Sequence[KeyWrapper]) -> bytes:
    """Unwrap the data key with any wrapper that can, verify the MAC, return the key.

    Raises:
        IntegrityError: an entry did not unwrap for this backup, or the manifest was edited.
        KeyUnavailableError: none of ``wrappers`` holds a key the manifest names.
    """
    binding = manifest.binding
    if not manifest.wrapped_keys:
        raise KeyUnavailableError(
            f"backup {binding.identity} has no wrapped data key left (it was crypto-shredded)"
        )
    problems: list[CryptoError] = []
    for entry in manifest.wrapped_keys:
        for wrapper in wrappers:
            if not wrapper.can_unwrap(entry):
                continue
            try:
                dek = wrapper.unwrap(entry, binding)
            except (IntegrityError, KeyUnavailableError) as exc:
                problems.append(exc)
                continue
            verify(manifest, dek)
            return dek
    for problem in problems:
        if isinstance(problem, IntegrityError):
            raise problem
    if problems:
        raise problems[0]
    needed = ", ".join(entry.label for entry in manifest.wrapped_keys)
    raise KeyUnavailableError(
        f"backup {binding.identity} needs one of: {needed}; none of the keys offered holds it "
        "(load that key ring version or KMS key)"
    )


def _same_key(a: WrappedKey, b: WrappedKey) -> bool:
    return (a.kind, a.key_id, a.key_version) == (b.kind, b.key_id, b.key_version)


def _add(manifest: Manifest, dek: bytes, wrapper: KeyWrapper) -> tuple[Manifest, WrappedKey]:
    verify(manifest, dek)  # never wrap a key that does not belong to this manifest
    binding = manifest.binding
    new = wrapper.wrap(dek, binding)
    if wrapper.unwrap(new, binding) != dek:
        raise IntegrityError(f"a fresh wrap with {new.label} did not unwrap to the same data key")
    for entry in manifest.wrapped_keys:
        if _same_key(entry, new) and wrapper.can_unwrap(entry):
            try:
                if wrapper.unwrap(entry, binding) == dek:
                    return manifest, entry  # already there: re-running converges
            except CryptoError:
                pass
    kept = tuple(e for e in manifest.wrapped_keys if not _same_key(e, new))
    return replace(manifest, wrapped_keys=(*kept, new)), new


def add_wrap(manifest: Manifest, dek: bytes, wrapper: KeyWrapper) -> Manifest:
    """Add a wrap of ``dek`` by ``wrapper`` (checked to unwrap); unchanged if already there."""
    return _add(manifest, dek, wrapper)[0]


def drop_wraps(manifest: Manifest, keep: Callable[[WrappedKey], bool]) -> Manifest:
    """Keep only the entries ``keep`` accepts; refuses to leave none (use :func:`shred`)."""
    kept = tuple(entry for entry in manifest.wrapped_keys if keep(entry))
    if not kept:
        raise ConfigError(
            f"refusing to drop every wrapped key of backup {manifest.header.identity}: it would "
            "become unreadable; use shred() to crypto-shred it on purpose"
        )
    return replace(manifest, wrapped_keys=kept)


def shred(manifest: Manifest) -> Manifest:
    """Drop every wrapped key: the backup becomes unreadable everywhere (crypto-shredding)."""
    return replace(manifest, wrapped_keys=())


def rewrap(
    manifest: Manifest,
    old_wrappers: Sequence[KeyWrapper],
    new_wrapper: KeyWrapper,
    write: Callable[[Manifest], None],
    *,
    keep: Callable[[WrappedKey], bool] | None = None,
) -> Manifest:
    """Re-wrap in the safe order: add, verify, write, drop, write. Idempotent.

    ``write`` is called after each step that changed the manifest, so a crash between the
    two writes leaves a stored manifest that both the old and the new key open. ``keep``
    selects old entries to keep besides the new one (default: none).
    """
    dek = open_manifest(manifest, [*old_wrappers, new_wrapper])
    added, entry = _add(manifest, dek, new_wrapper)
    if added != manifest:
        write(added)
    alone = replace(added, wrapped_keys=(entry,))
    if open_manifest(alone, [new_wrapper]) != dek:
        raise IntegrityError(f"the new wrap with {entry.label} does not open the manifest")
    dropped = drop_wraps(added, lambda e: _same_key(e, entry) or (keep is not None and keep(e)))
    if dropped != added:
        write(dropped)
    return dropped


def reference_counts(manifests: Iterable[Manifest], key_id: str | None = None) -> dict[int, int]:
    """Key ring version → number of manifests that hold a wrap by it."""
    counts: Counter[int] = Counter()
    for manifest in manifests:
        versions = {
            int(e.key_version)
            for e in manifest.wrapped_keys
            if e.kind == "keyring"
            and (key_id is None or e.key_id == key_id)
            and e.key_version.isdigit()
        }
        counts.update(versions)
    return dict(counts)


def referenced_versions(manifests: Iterable[Manifest], key_id: str | None = None) -> set[int]:
    """Key ring versions (of ``key_id``, or of any ring) that some manifest still needs."""
    return set(reference_counts(manifests, key_id))


def object_keys(prefix: str, header: Header) -> tuple[str, str]:
    """``({prefix}/{ns}/{policy}/{backup}/data.sr, .../manifest.json)``; prefix may be empty."""
    for name in (header.namespace, header.policy, header.backup):
        if "/" in name or name in {".", ".."}:
            raise ConfigError(f"{name!r} cannot be part of an object key: it holds '/' or dots")
    parts = [p for p in prefix.strip("/").split("/") if p]
    base = "/".join([*parts, header.namespace, header.policy, header.backup])
    return f"{base}/{DATA_NAME}", f"{base}/{MANIFEST_NAME}"
