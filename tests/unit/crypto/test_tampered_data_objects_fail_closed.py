"""RELIABILITY F5: every way a data object can be damaged fails closed, with a reason.

A reader must never return unauthenticated bytes and never report a clean end unless the
final segment authenticated. Each case checks our own error type and a message that says what
is wrong, so the Backup status and the alert can say it too.
"""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto.stream import (
    SEGMENT_SIZE,
    DecryptingReader,
    decrypt_bytes,
    encrypt_bytes,
    read_header,
)
from strongroom.errors import CryptoError, FormatError, IntegrityError

DATA = bytes(range(256)) * 3  # 768 bytes = 72 + 6 * 112 + 24: eight segments, the last partial


@pytest.fixture(scope="module")
def blob(sample) -> bytes:
    return sample.encrypt(DATA)


def test_the_sample_spans_several_segments(sample, blob) -> None:
    _, segments = sample.split(blob)
    assert len(segments) == 8
    assert len(segments[-1]) < sample.segment


def test_truncation_at_a_segment_boundary(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    with pytest.raises(IntegrityError, match=r"ends before its final segment.*segment 4.*boundary"):
        sample.decrypt(prefix + b"".join(segments[:5]))


def test_truncation_mid_segment(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    cut = prefix + b"".join(segments[:3]) + segments[3][:50]
    with pytest.raises(IntegrityError, match=r"final segment 3 .*ends before its final segment"):
        sample.decrypt(cut)


def test_truncation_inside_a_tag(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    with pytest.raises(IntegrityError, match=r"ends before its final segment: segment 2 is only 9"):
        sample.decrypt(prefix + b"".join(segments[:2]) + segments[2][:9])


@pytest.mark.parametrize("cut", [0, 5, 12, 20, 60])
def test_truncation_in_the_prefix(sample, blob, cut) -> None:
    with pytest.raises(CryptoError):
        sample.decrypt(blob[:cut])


def test_truncation_right_after_the_prefix(sample, blob) -> None:
    with pytest.raises(IntegrityError, match="ends before its final segment"):
        sample.decrypt(blob[: sample.prefix_size()])


def test_reordered_segments(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    segments[2], segments[3] = segments[3], segments[2]
    with pytest.raises(
        IntegrityError, match=r"segment 3 is at the position of segment 2.*reordered"
    ):
        sample.decrypt(prefix + b"".join(segments))


def test_dropped_segment(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    del segments[4]
    with pytest.raises(IntegrityError, match=r"segment 5 is at the position of segment 4.*dropped"):
        sample.decrypt(prefix + b"".join(segments))


def test_bytes_appended_after_a_short_final_segment(sample, blob) -> None:
    with pytest.raises(IntegrityError, match=r"final segment 7 .*appended"):
        sample.decrypt(blob + b"\x00" * 10)


def test_bytes_appended_after_a_full_final_segment(sample) -> None:
    data = os.urandom(sample.first_plain + sample.plain)  # the final segment is exactly full
    blob = sample.encrypt(data)
    assert sample.decrypt(blob) == data
    with pytest.raises(IntegrityError, match="bytes were appended after the final segment 1"):
        sample.decrypt(blob + b"tail")


def test_a_whole_segment_appended_again(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    with pytest.raises(IntegrityError):
        sample.decrypt(prefix + b"".join(segments) + segments[1])


def test_wrong_key(sample, blob) -> None:
    with pytest.raises(IntegrityError, match="wrong key"):
        sample.decrypt(blob, dek=os.urandom(32))


def test_altered_header_field(sample, blob, header_for) -> None:
    old = sample.header.encode()
    new = header_for(sample.header.backup.replace("0200", "0300")).encode()
    assert len(old) == len(new)
    with pytest.raises(IntegrityError, match=r"header of backup .* was altered"):
        sample.decrypt(blob.replace(old, new))


def test_data_object_swapped_between_two_backups(sample, header_for) -> None:
    mine = header_for("shop-20260131-0200")
    theirs = header_for("shop-20260201-0200")
    their_blob = sample.encrypt(b"their rows", header=theirs)
    with pytest.raises(IntegrityError, match=r"belongs to backup shop/nightly/shop-20260201-0200"):
        sample.decrypt(their_blob, expected_header=mine)
    # Without the expectation the other backup's key is the only way in: ours is refused.
    with pytest.raises(IntegrityError, match="wrong key"):
        sample.decrypt(their_blob, dek=os.urandom(32))


def test_bad_magic_and_unknown_version_are_format_errors(blob) -> None:
    with pytest.raises(FormatError, match="not a Strongroom data object"):
        read_header(io.BytesIO(b"PK\x03\x04" + blob[4:]))
    with pytest.raises(FormatError, match="format version 2; this build reads 1"):
        read_header(io.BytesIO(blob[:11] + b"\x02" + blob[12:]))


def test_flipped_bit_in_a_segment_names_the_segment(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    damaged = bytearray(segments[3])
    damaged[10] ^= 0x01
    segments[3] = bytes(damaged)
    with pytest.raises(IntegrityError, match=r"segment 3 failed authentication: a bit was altered"):
        sample.decrypt(prefix + b"".join(segments))


def test_no_plaintext_from_a_failing_segment_is_ever_returned(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    damaged = bytearray(segments[4])
    damaged[0] ^= 0x80
    segments[4] = bytes(damaged)
    reader = sample.reader(prefix + b"".join(segments))
    got = bytearray()

    def read_all() -> None:
        while chunk := reader.read(7):
            got.extend(chunk)

    with pytest.raises(IntegrityError, match="segment 4"):
        read_all()
    # Exactly the four authenticated segments came out, nothing of the fifth.
    assert bytes(got) == DATA[: sample.first_plain + 3 * sample.plain]


@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
@settings(max_examples=150, deadline=None)
def test_a_flipped_bit_anywhere_fails_closed(sample, blob, position, bit) -> None:
    damaged = bytearray(blob)
    damaged[position % len(blob)] ^= 1 << bit
    with pytest.raises(CryptoError):
        sample.decrypt(bytes(damaged))


@given(cut=st.integers(min_value=0))
@settings(max_examples=80, deadline=None)
def test_every_truncation_fails_closed(sample, blob, cut) -> None:
    with pytest.raises(CryptoError):
        sample.decrypt(blob[: cut % len(blob)])


def test_a_reader_on_a_slow_source_still_authenticates(sample, blob) -> None:
    class Dribble(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(3, size if size and size > 0 else 3))

    assert DecryptingReader(Dribble(blob), sample.dek, _segment_size=sample.segment).read() == DATA


def test_a_reader_that_failed_keeps_failing(sample, blob) -> None:
    prefix, segments = sample.split(blob)
    damaged = bytearray(segments[1])
    damaged[3] ^= 0x04
    reader = sample.reader(prefix + segments[0] + bytes(damaged) + b"".join(segments[2:]))
    assert reader.read(sample.first_plain) == DATA[: sample.first_plain]
    for _ in range(3):  # retrying must never skip the bad segment and carry on
        with pytest.raises(IntegrityError, match="segment 1 failed authentication"):
            reader.read(10)


def test_truncation_at_a_real_one_mebibyte_boundary(header, dek) -> None:
    data = os.urandom(2 * SEGMENT_SIZE)  # three segments: the plaintext overflows two
    blob = encrypt_bytes(data, dek, header)
    tink_start = 12 + 4 + len(header.encode()) + 48
    first_two = tink_start + 2 * SEGMENT_SIZE  # stream header + segment 0, then segment 1
    assert decrypt_bytes(blob, dek)[1] == data
    with pytest.raises(IntegrityError, match=r"stops cleanly after segment 1.*segment boundary"):
        decrypt_bytes(blob[:first_two], dek)
