"""A data object gives back exactly what went in, at every size and however it was written."""

from __future__ import annotations

import gc
import io
import itertools
import os

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.crypto.stream import (
    MAGIC,
    SEGMENT_SIZE,
    DecryptingReader,
    EncryptingWriter,
    decrypt_bytes,
    encrypt_bytes,
    new_data_key,
    read_header,
)
from strongroom.errors import IntegrityError


def test_the_default_segment_is_tinks_one_mebibyte() -> None:
    assert SEGMENT_SIZE == 1024 * 1024


def test_data_keys_are_fresh_256_bit_values() -> None:
    keys = {new_data_key() for _ in range(8)}
    assert len(keys) == 8
    assert all(len(k) == 32 for k in keys)


@pytest.mark.parametrize("size", [0, 1, 71, 72, 73, 72 + 112, 72 + 112 + 1, 1000])
def test_sizes_around_segment_boundaries_round_trip(sample, size) -> None:
    data = os.urandom(size)
    blob = sample.encrypt(data)
    assert sample.decrypt(blob) == data


def test_segment_count_matches_tink_no_empty_final_segment(sample) -> None:
    # Exactly one full first segment: Tink writes it as the final segment, not an empty one.
    blob = sample.encrypt(b"x" * sample.first_plain)
    _, segments = sample.split(blob)
    assert [len(s) for s in segments] == [sample.segment - 40]
    # Empty plaintext still has one (empty, authenticated) final segment.
    _, segments = sample.split(sample.encrypt(b""))
    assert [len(s) for s in segments] == [16]


def test_default_segment_size_round_trips_across_a_boundary(header, dek) -> None:
    data = os.urandom(SEGMENT_SIZE + 1000)
    header_back, plain = decrypt_bytes(encrypt_bytes(data, dek, header), dek)
    assert plain == data
    assert header_back == header


def test_writer_counts_bytes_and_writes_prefix_at_once(sample) -> None:
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, sample.dek, sample.header, _segment_size=sample.segment)
    assert sink.getvalue().startswith(MAGIC)
    assert writer.ciphertext_bytes == len(sink.getvalue()) == sample.prefix_size()
    writer.write(b"a" * 500)
    writer.close()
    assert writer.plaintext_bytes == 500
    assert writer.ciphertext_bytes == len(sink.getvalue())
    assert not sink.closed  # close() never closes the sink


@given(
    data=st.binary(max_size=900),
    cuts=st.lists(st.integers(min_value=0, max_value=900), max_size=12),
    segment=st.sampled_from([64, 100, 128, 257]),
)
@settings(max_examples=60, deadline=None)
def test_any_write_pattern_and_read_size_round_trips(data, cuts, segment, header, dek) -> None:
    salt, nonce_prefix = bytes(32), bytes(7)
    sink = io.BytesIO()
    writer = EncryptingWriter(
        sink, dek, header, _segment_size=segment, _salt=salt, _nonce_prefix=nonce_prefix
    )
    points = sorted({0, len(data), *(c for c in cuts if c <= len(data))})
    for start, end in itertools.pairwise(points):
        writer.write(memoryview(data)[start:end])
    writer.close()
    # However the plaintext was cut into writes, the object is the same bytes.
    assert sink.getvalue() == encrypt_bytes(
        data, dek, header, _segment_size=segment, _salt=salt, _nonce_prefix=nonce_prefix
    )
    reader = DecryptingReader(io.BytesIO(sink.getvalue()), dek, _segment_size=segment)
    got = bytearray()
    step = (len(cuts) % 7) + 1
    while chunk := reader.read(step):
        got += chunk
    assert bytes(got) == data


def test_zstd_stream_writer_chain_round_trips(sample) -> None:
    payload = b"INSERT INTO orders VALUES (1, 'widget');\n" * 300
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, sample.dek, sample.header, _segment_size=sample.segment)
    with zstandard.ZstdCompressor().stream_writer(writer, closefd=False) as compressor:
        compressor.write(payload)
    writer.close()
    reader = sample.reader(sink.getvalue())
    assert zstandard.ZstdDecompressor().stream_reader(reader).read() == payload


def test_header_is_readable_without_a_key(sample) -> None:
    blob = sample.encrypt(b"data")
    assert read_header(io.BytesIO(blob)) == sample.header
    assert sample.reader(blob).header == sample.header


def test_abort_leaves_an_object_that_never_authenticates(sample) -> None:
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, sample.dek, sample.header, _segment_size=sample.segment)
    writer.write(b"a" * 400)
    writer.abort()
    with pytest.raises(IntegrityError, match="ends before its final segment"):
        sample.decrypt(sink.getvalue())


def test_an_exception_inside_with_does_not_finalise(sample) -> None:
    sink = io.BytesIO()

    def backup_that_fails() -> None:
        with EncryptingWriter(sink, sample.dek, sample.header, _segment_size=sample.segment) as w:
            w.write(b"a" * 400)
            raise RuntimeError("dump failed")

    with pytest.raises(RuntimeError):
        backup_that_fails()
    with pytest.raises(IntegrityError, match="ends before its final segment"):
        sample.decrypt(sink.getvalue())


def test_garbage_collection_never_finalises_an_unclosed_writer(sample) -> None:
    sink = io.BytesIO()
    writer = EncryptingWriter(sink, sample.dek, sample.header, _segment_size=sample.segment)
    writer.write(b"a" * 400)
    size = len(sink.getvalue())
    del writer
    gc.collect()
    assert len(sink.getvalue()) == size


def test_two_encryptions_of_the_same_data_differ(sample) -> None:
    assert sample.encrypt(b"same") != sample.encrypt(b"same")
