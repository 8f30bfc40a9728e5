"""Manifest JSON: the stored form, and a strict parser that fails only with FormatError.

Manifests are read back from a bucket anyone with write access could have edited, so the
parser checks every field's type and never lets a ``KeyError``/``ValueError`` escape. The MAC
(checked later, with the data key) catches edits that are well-formed.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from strongroom.api.fingerprints import TableFingerprint
from strongroom.crypto.header import Header, format_time, parse_time
from strongroom.crypto.wrapping import WrappedKey
from strongroom.errors import FormatError

if TYPE_CHECKING:
    from strongroom.crypto.manifest import Manifest

_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = frozenset(
    {
        "format_version",
        "header",
        "data_key",
        "data_size",
        "data_sha256",
        "plaintext_size",
        "compressed",
        "tools",
        "server_version",
        "tables",
        "created",
        "retention_deadline",
        "wrapped_keys",
        "mac",
        "dump_size",
    }
)
#: Fields a manifest carries only when set (older manifests lack them; their MAC omits them).
_OPTIONAL_FIELDS = frozenset({"fingerprints"})
_MAX_MANIFEST_BYTES = 16 * 1024 * 1024


def manifest_to_dict(manifest: Manifest) -> dict[str, Any]:
    """The JSON object form of ``manifest`` (every set field, snake_case keys)."""
    optional = {"fingerprints": manifest.fingerprints} if manifest.fingerprints else {}
    return optional | {
        "format_version": manifest.format_version,
        "header": manifest.header.to_dict(),
        "data_key": manifest.data_key,
        "data_size": manifest.data_size,
        "data_sha256": manifest.data_sha256,
        "plaintext_size": manifest.plaintext_size,
        "compressed": manifest.compressed,
        "tools": dict(sorted(manifest.tools.items())),
        "server_version": manifest.server_version,
        "tables": [{"table": t.table, "rows": t.rows, "sha256": t.sha256} for t in manifest.tables],
        "created": format_time(manifest.created),
        "retention_deadline": (
            None
            if manifest.retention_deadline is None
            else format_time(manifest.retention_deadline)
        ),
        "wrapped_keys": [entry.to_dict() for entry in manifest.wrapped_keys],
        "mac": manifest.mac,
        "dump_size": manifest.dump_size,
    }


def dumps(data: dict[str, Any]) -> bytes:
    """Stored bytes: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


def _string(data: dict[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise FormatError(f"manifest field {name} must be a string")
    return value


def _count(data: dict[str, Any], name: str) -> int:
    value = data[name]
    if type(value) is not int or value < 0:
        raise FormatError(f"manifest field {name} must be a non-negative integer")
    return value


def _tables(value: object) -> tuple[TableFingerprint, ...]:
    if not isinstance(value, list):
        raise FormatError("manifest field tables must be a list")
    tables: list[TableFingerprint] = []
    for position, item in enumerate(value):
        if (
            not isinstance(item, dict)
            or set(item) != {"table", "rows", "sha256"}
            or not isinstance(item["table"], str)
            or type(item["rows"]) is not int
            or item["rows"] < 0
            or not isinstance(item["sha256"], str)
        ):
            raise FormatError(
                f"manifest tables[{position}] must be {{table: str, rows: int >= 0, sha256: str}}"
            )
        tables.append(TableFingerprint(item["table"], item["rows"], item["sha256"]))
    return tuple(tables)


def _tools(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise FormatError("manifest field tools must map tool names to version strings")
    return dict(value)


def _wrapped(value: object) -> tuple[WrappedKey, ...]:
    if not isinstance(value, list):
        raise FormatError("manifest field wrapped_keys must be a list")
    return tuple(WrappedKey.from_dict(item) for item in value)


def manifest_fields(raw: bytes) -> dict[str, Any]:
    """Parse stored manifest bytes into validated ``Manifest`` keyword arguments."""
    if len(raw) > _MAX_MANIFEST_BYTES:
        raise FormatError(f"manifest is {len(raw)} bytes, more than {_MAX_MANIFEST_BYTES}")
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise FormatError("manifest is not UTF-8 JSON: it is damaged or not a manifest") from None
    if not isinstance(data, dict):
        raise FormatError("manifest must be a JSON object")
    if not _FIELDS <= set(data) <= _FIELDS | _OPTIONAL_FIELDS:
        missing = sorted(_FIELDS - set(data))
        unknown = sorted(set(data) - _FIELDS - _OPTIONAL_FIELDS)
        raise FormatError(f"manifest fields differ: missing {missing}, unknown {unknown}")
    version = data["format_version"]
    if type(version) is not int or version != 1:
        raise FormatError(
            f"manifest format_version is {version!r}; this build reads 1: use the Strongroom "
            "release that wrote the backup"
        )
    sha = _string(data, "data_sha256")
    if not _HEX64.fullmatch(sha):
        raise FormatError("manifest field data_sha256 must be 64 lowercase hex digits")
    mac = _string(data, "mac")
    if not _HEX64.fullmatch(mac):
        raise FormatError("manifest field mac must be 64 lowercase hex digits")
    deadline = data["retention_deadline"]
    dump_size = data["dump_size"]
    if dump_size is not None and (type(dump_size) is not int or dump_size < 0):
        raise FormatError("manifest field dump_size must be null or a non-negative integer")
    fingerprints = data.get("fingerprints", "")
    if not isinstance(fingerprints, str) or ("fingerprints" in data and not fingerprints):
        raise FormatError("manifest field fingerprints must be a non-empty string when present")
    return {
        "fingerprints": fingerprints,
        "format_version": version,
        "header": Header.from_dict(data["header"]),
        "data_key": _string(data, "data_key"),
        "data_size": _count(data, "data_size"),
        "data_sha256": sha,
        "plaintext_size": _count(data, "plaintext_size"),
        "compressed": _string(data, "compressed"),
        "tools": _tools(data["tools"]),
        "server_version": _string(data, "server_version"),
        "tables": _tables(data["tables"]),
        "created": parse_time(data["created"], what="manifest field created"),
        "retention_deadline": (
            None
            if deadline is None
            else parse_time(deadline, what="manifest field retention_deadline")
        ),
        "wrapped_keys": _wrapped(data["wrapped_keys"]),
        "mac": mac,
        "dump_size": dump_size,
    }
