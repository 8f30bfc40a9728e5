"""Fuzzing the parsers of our formats: whatever the bytes, only our own error types escape.

Headers, data-object prefixes, manifests, wrapped keys and key ring Secrets are read from
places others can write (a bucket, a Secret, a file a person hands in). A ``KeyError`` or a
``ValueError`` from deep inside would crash a handler instead of becoming a clear condition;
these properties drive random and structurally mutated inputs through each parser.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.crypto.header import Header
from strongroom.crypto.keyring import KeyRing
from strongroom.crypto.manifest import Manifest, from_json, to_json
from strongroom.crypto.stream import MAGIC, DecryptingReader, read_header
from strongroom.crypto.wrapping import WrappedKey
from strongroom.errors import ConfigError, CryptoError, FormatError

#: Raise for a long fuzzing session outside pytest's 2-second unit budget (docs/format.md).
EXAMPLES = int(os.environ.get("STRONGROOM_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def mutate(document: object, path: list[int], value: object) -> object:
    """Replace, delete or insert one node of a JSON document, chosen by ``path``."""
    if not path or not isinstance(document, dict | list) or not document:
        return value
    if isinstance(document, dict):
        keys = sorted(document)
        key = keys[path[0] % len(keys)]
        copy = dict(document)
        if path[0] % 7 == 0:
            del copy[key]
        else:
            copy[key] = mutate(document[key], path[1:], value)
        return copy
    index = path[0] % len(document)
    copy_list = list(document)
    copy_list[index] = mutate(document[index], path[1:], value)
    return copy_list


@given(data=st.binary(max_size=300))
@FUZZ
def test_header_decode(data) -> None:
    with contextlib.suppress(FormatError):
        Header.decode(data)


@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=3), value=json_values)
@FUZZ
def test_header_decode_of_mutated_headers(header, path, value) -> None:
    document = mutate(header.to_dict(), path, value)
    with contextlib.suppress(FormatError):
        Header.decode(json.dumps(document).encode())


@given(tail=st.binary(max_size=300), use_magic=st.booleans())
@FUZZ
def test_read_header_and_reader_construction(tail, use_magic, dek) -> None:
    data = (MAGIC + tail) if use_magic else tail
    with contextlib.suppress(FormatError):
        read_header(io.BytesIO(data))
    with contextlib.suppress(CryptoError):
        DecryptingReader(io.BytesIO(data), dek).read()


@given(data=st.binary(max_size=400))
@FUZZ
def test_manifest_from_random_bytes(data) -> None:
    with contextlib.suppress(FormatError):
        from_json(data)


@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=4), value=json_values)
@FUZZ
def test_manifest_from_mutated_documents(manifest_for, header, path, value) -> None:
    document = mutate(json.loads(to_json(manifest_for(header))), path, value)
    try:
        parsed = Manifest.from_json(json.dumps(document).encode())
    except FormatError:
        return
    assert isinstance(parsed, Manifest)


@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=2), value=json_values)
@FUZZ
def test_wrapped_key_from_mutated_entries(path, value) -> None:
    entry = WrappedKey("kms", "alias/x", "arn:x", b"blob", datetime(2026, 1, 1, tzinfo=UTC))
    document = mutate(entry.to_dict(), path, value)
    with contextlib.suppress(FormatError):
        WrappedKey.from_json(json.dumps(document).encode())


@given(
    path=st.lists(st.integers(min_value=0, max_value=50), max_size=4),
    value=json_values,
    extra=st.dictionaries(st.text(max_size=10), st.binary(max_size=40), max_size=3),
)
@FUZZ
def test_key_ring_from_mutated_secrets(ring, path, value, extra) -> None:
    data = ring.rotate(datetime(2026, 2, 1, tzinfo=UTC)).to_secret_data()
    metadata = mutate(json.loads(data["keyring.json"]), path, value)
    data = {**data, **extra, "keyring.json": json.dumps(metadata).encode()}
    with contextlib.suppress(ConfigError):
        KeyRing.from_secret_data(data)


@given(path=st.lists(st.integers(min_value=0, max_value=50), max_size=4), value=json_values)
@FUZZ
def test_key_ring_from_mutated_exports(ring, path, value) -> None:
    document = mutate(json.loads(ring.to_export_json()), path, value)
    with contextlib.suppress(ConfigError):
        KeyRing.from_export_json(json.dumps(document).encode())


@given(data=st.binary(max_size=200))
@FUZZ
def test_key_ring_from_random_bytes(data) -> None:
    for parse in (
        KeyRing.from_export_json,
        lambda d: KeyRing.from_secret_data({"keyring.json": d}),
    ):
        with contextlib.suppress(ConfigError):
            parse(data)
