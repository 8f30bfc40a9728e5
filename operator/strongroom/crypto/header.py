"""The authenticated header of a data object: which backup these bytes are, and how to read them.

The header travels in clear text at the start of every data object (so ``strongroom decrypt``
and a person with ``head -c`` can tell what an object is without a key) and is bound into every
segment as associated data, so changing one byte of it makes the whole object fail to open.
Its encoding is canonical (sorted-key compact JSON), but readers always authenticate the bytes
exactly as stored, never a re-encoding.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from strongroom.errors import FormatError

#: The only data-object format version this build writes and reads.
FORMAT_VERSION = 1
#: Compression names a header may carry; the payload is compressed before encryption.
COMPRESSIONS = frozenset({"zstd", "none"})
#: A header is small; a larger length field means the bytes are not ours.
MAX_HEADER_BYTES = 64 * 1024
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_TIME_PATTERN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
_MAX_FIELD = 1024
_FIELDS = ("namespace", "policy", "backup", "database", "engine")


def format_time(moment: datetime) -> str:
    """Render an aware datetime canonically: UTC, microseconds, ``Z`` suffix."""
    return moment.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(text: object, *, what: str) -> datetime:
    """Parse :func:`format_time` output; raise :class:`FormatError` naming ``what`` otherwise."""
    if not isinstance(text, str) or not _TIME_PATTERN.fullmatch(text):
        raise FormatError(f"{what} must be a UTC time like 2026-01-31T02:00:00.000000Z")
    try:
        return datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise FormatError(f"{what} is not a valid time: {exc}") from None


@dataclass(frozen=True)
class Header:
    """Identity and reading instructions of one backup's data object.

    Attributes:
        namespace: Kubernetes namespace of the BackupPolicy.
        policy: name of the BackupPolicy.
        backup: name of the Backup (one run).
        database: database name inside the server.
        engine: database engine (``postgresql``, ``mariadb``).
        created: when the backup started, timezone-aware; stored as UTC.
        compression: how the plaintext was compressed before encryption.
        format_version: data-object format version; only :data:`FORMAT_VERSION` exists.
    """

    namespace: str
    policy: str
    backup: str
    database: str
    engine: str
    created: datetime
    compression: str = "zstd"
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > _MAX_FIELD:
                raise FormatError(
                    f"header field {name} must be a non-empty string of at most "
                    f"{_MAX_FIELD} characters"
                )
            if not value.isprintable():  # also refuses control characters and lone surrogates
                raise FormatError(f"header field {name} must be printable Unicode text")
        if not isinstance(self.created, datetime) or self.created.utcoffset() is None:
            raise FormatError("header field created must be a timezone-aware datetime")
        object.__setattr__(self, "created", self.created.astimezone(UTC))
        if not isinstance(self.compression, str) or self.compression not in COMPRESSIONS:
            raise FormatError(
                f"header field compression is {self.compression!r}; "
                f"this build reads {sorted(COMPRESSIONS)}"
            )
        if type(self.format_version) is not int or self.format_version != FORMAT_VERSION:
            raise FormatError(
                f"header format_version is {self.format_version!r}; this build reads "
                f"{FORMAT_VERSION}: use the Strongroom release that wrote the backup"
            )

    @property
    def identity(self) -> str:
        """``namespace/policy/backup``, for messages."""
        return f"{self.namespace}/{self.policy}/{self.backup}"

    def to_dict(self) -> dict[str, Any]:
        """The JSON object form (also embedded in the manifest)."""
        data = asdict(self)
        data["created"] = format_time(self.created)
        return data

    @classmethod
    def from_dict(cls, data: object) -> Header:
        """Build from :meth:`to_dict` output; :class:`FormatError` on anything else."""
        if not isinstance(data, dict):
            raise FormatError("header must be a JSON object")
        expected = {*_FIELDS, "created", "compression", "format_version"}
        if set(data) != expected:
            missing = sorted(expected - set(data))
            extra = sorted(set(data) - expected)
            raise FormatError(f"header fields differ: missing {missing}, unknown {extra}")
        created = parse_time(data["created"], what="header field created")
        return cls(
            namespace=data["namespace"],
            policy=data["policy"],
            backup=data["backup"],
            database=data["database"],
            engine=data["engine"],
            created=created,
            compression=data["compression"],
            format_version=data["format_version"],
        )

    def encode(self) -> bytes:
        """Canonical bytes: sorted-key compact UTF-8 JSON."""
        return canonical_json(self.to_dict())

    @classmethod
    def decode(cls, data: bytes) -> Header:
        """Parse header bytes; :class:`FormatError` on anything that is not a valid header."""
        if len(data) > MAX_HEADER_BYTES:
            raise FormatError(f"header is {len(data)} bytes, more than {MAX_HEADER_BYTES}")
        try:
            parsed = json.loads(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise FormatError(
                "header is not UTF-8 JSON: the object is not ours or damaged"
            ) from None
        return cls.from_dict(parsed)


def canonical_json(data: object) -> bytes:
    """Sorted-key, compact, UTF-8 JSON: the one encoding we authenticate."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
