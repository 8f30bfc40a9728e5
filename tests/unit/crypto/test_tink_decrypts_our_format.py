"""Our data objects are Tink ``AES256_GCM_HKDF_1MB`` streaming AEAD, byte for byte.

The reference implementation (the ``tink`` package) decrypts what we write, and we decrypt
what it writes, with the real 1 MiB segments over several segments. So a backup can be opened
with a published standard's own library, not only with our code.
"""

from __future__ import annotations

import io
import os

import pytest
import tink
from tink import secret_key_access, streaming_aead
from tink.proto import aes_gcm_hkdf_streaming_pb2, common_pb2, tink_pb2

from strongroom.crypto.stream import SEGMENT_SIZE, decrypt_bytes, encrypt_bytes

TYPE_URL = "type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey"
SIZES = [0, 1, SEGMENT_SIZE - 56, SEGMENT_SIZE - 55, 2_621_440]  # 2.5 MiB: three segments


class _KeepOpen(io.BytesIO):
    def close(self) -> None:
        """Tink closes its sink; keep the bytes readable."""


@pytest.fixture(scope="module")
def tink_with_our_key(dek: bytes) -> streaming_aead.StreamingAead:
    """A Tink keyset holding ``dek`` as an AES256_GCM_HKDF_1MB key."""
    streaming_aead.register()
    key = aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingKey(
        version=0,
        key_value=dek,
        params=aes_gcm_hkdf_streaming_pb2.AesGcmHkdfStreamingParams(
            ciphertext_segment_size=SEGMENT_SIZE,
            derived_key_size=32,
            hkdf_hash_type=common_pb2.SHA256,
        ),
    )
    keyset = tink_pb2.Keyset(
        primary_key_id=1,
        key=[
            tink_pb2.Keyset.Key(
                key_data=tink_pb2.KeyData(
                    type_url=TYPE_URL,
                    value=key.SerializeToString(),
                    key_material_type=tink_pb2.KeyData.SYMMETRIC,
                ),
                status=tink_pb2.ENABLED,
                key_id=1,
                output_prefix_type=tink_pb2.RAW,
            )
        ],
    )
    handle = tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    return handle.primitive(streaming_aead.StreamingAead)


def _tink_part(blob: bytes, header_bytes: bytes) -> int:
    """Offset of the Tink ciphertext: magic, length, header, key check, header MAC."""
    return 12 + 4 + len(header_bytes) + 16 + 32


@pytest.mark.parametrize("size", SIZES)
def test_tink_decrypts_what_we_encrypt(tink_with_our_key, header, dek, size) -> None:
    data = os.urandom(size)
    blob = encrypt_bytes(data, dek, header)
    ciphertext = blob[_tink_part(blob, header.encode()) :]
    assert ciphertext[0] == 0x28
    with tink_with_our_key.new_decrypting_stream(io.BytesIO(ciphertext), header.encode()) as got:
        assert got.read() == data


@pytest.mark.parametrize("size", SIZES)
def test_we_decrypt_what_tink_encrypts(tink_with_our_key, header, dek, size) -> None:
    data = os.urandom(size)
    ours = encrypt_bytes(data, dek, header)
    prefix = ours[: _tink_part(ours, header.encode())]
    sink = _KeepOpen()
    with tink_with_our_key.new_encrypting_stream(sink, header.encode()) as stream:
        stream.write(data)
    theirs = sink.getvalue()
    assert len(theirs) == len(ours) - len(prefix)  # same segmentation, same overhead
    assert decrypt_bytes(prefix + theirs, dek) == (header, data)


def test_tink_refuses_our_ciphertext_under_another_header(
    tink_with_our_key, header, dek, header_for
) -> None:
    blob = encrypt_bytes(b"rows", dek, header)
    other = header_for("shop-20260201-0200").encode()
    stream = tink_with_our_key.new_decrypting_stream(
        io.BytesIO(blob[_tink_part(blob, header.encode()) :]), other
    )
    with pytest.raises(tink.TinkError):
        stream.read()
