"""Small-segment samples for the data-object tests.

The format's segment size is 1 MiB; tests pass the private ``_segment_size`` so that segment
boundaries, reordering and truncation are exercised with a few hundred bytes. The byte layout
is otherwise identical (the Tink oracle test covers the real 1 MiB size).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from strongroom.api.fingerprints import TableFingerprint
from strongroom.crypto.keyring import KeyBinding, KeyRing, KeyRingWrapper
from strongroom.crypto.manifest import Manifest, object_keys, seal
from strongroom.crypto.stream import DecryptingReader, Header, encrypt_bytes

#: A tiny ciphertext segment: the first holds 128 - 40 - 16 = 72 plaintext bytes, others 112.
SEGMENT = 128


@dataclass(frozen=True)
class Sample:
    """Encrypt/decrypt with the small segment size, and cut objects into their segments."""

    header: Header
    dek: bytes
    segment: int = SEGMENT

    @property
    def first_plain(self) -> int:
        """Plaintext bytes of a full first segment."""
        return self.segment - 40 - 16

    @property
    def plain(self) -> int:
        """Plaintext bytes of any later full segment."""
        return self.segment - 16

    def encrypt(
        self, data: bytes, *, header: Header | None = None, dek: bytes | None = None
    ) -> bytes:
        return encrypt_bytes(
            data, dek or self.dek, header or self.header, _segment_size=self.segment
        )

    def reader(
        self, blob: bytes, *, dek: bytes | None = None, **kwargs: object
    ) -> DecryptingReader:
        return DecryptingReader(
            io.BytesIO(blob),
            dek or self.dek,
            _segment_size=self.segment,
            **kwargs,  # type: ignore[arg-type]
        )

    def decrypt(self, blob: bytes, *, dek: bytes | None = None, **kwargs: object) -> bytes:
        return self.reader(blob, dek=dek, **kwargs).readall()

    def prefix_size(self, header: Header | None = None) -> int:
        """Bytes before the first segment: our prefix, key check, header MAC, Tink header."""
        return 12 + 4 + len((header or self.header).encode()) + 16 + 32 + 40

    def split(self, blob: bytes) -> tuple[bytes, list[bytes]]:
        """Cut a data object into its prefix and ciphertext segments."""
        start = self.prefix_size()
        prefix, rest = blob[:start], blob[start:]
        segments = [rest[: self.segment - 40]]
        rest = rest[self.segment - 40 :]
        while rest:
            segments.append(rest[: self.segment])
            rest = rest[self.segment :]
        return prefix, segments


def make_header(backup: str = "shop-20260131-0200", **changes: object) -> Header:
    fields: dict[str, object] = {
        "namespace": "shop",
        "policy": "nightly",
        "backup": backup,
        "database": "orders",
        "engine": "postgresql",
        "created": datetime(2026, 1, 31, 2, 0, tzinfo=UTC),
    }
    fields.update(changes)
    return Header(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def header() -> Header:
    return make_header()


@pytest.fixture(scope="session")
def dek() -> bytes:
    return bytes(range(32))


@pytest.fixture(scope="session")
def sample(header: Header, dek: bytes) -> Sample:
    return Sample(header, dek)


@pytest.fixture(scope="session")
def header_for() -> object:
    """``header_for(backup, **changes)``: a header of another backup of the same policy."""
    return make_header


@pytest.fixture(scope="session")
def ring() -> KeyRing:
    return KeyRing.generate("shop-backups", datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="session")
def manifest_for(dek: bytes, ring: KeyRing) -> object:
    """``manifest_for(header, dek=..., wrapper=...)``: a sealed manifest wrapped by the ring."""

    def build(
        header: Header, *, dek: bytes = dek, wrapper: KeyRingWrapper | None = None
    ) -> Manifest:
        wrapper = wrapper or KeyRingWrapper(ring)
        data_key, _ = object_keys("backups", header)
        return seal(
            Manifest(
                header=header,
                data_key=data_key,
                data_size=4242,
                data_sha256="ab" * 32,
                plaintext_size=4000,
                tools={"pg_dump": "16.4"},
                server_version="16.4",
                tables=(
                    TableFingerprint("public.customers", 12, "cd" * 32),
                    TableFingerprint("public.orders", 340, "ef" * 32),
                ),
                created=header.created,
                retention_deadline=datetime(2026, 3, 1, tzinfo=UTC),
                wrapped_keys=(wrapper.wrap(dek, KeyBinding.for_header(header)),),
                dump_size=123456,
            ),
            dek,
        )

    return build
