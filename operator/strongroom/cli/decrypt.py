"""``strongroom decrypt``: turn a backup back into a plain dump with no cluster and no operator.

Backups must never be hostage to the operator being alive. Given the data object (a local file
or an S3 object), its manifest, and key material — an escrowed key-ring export, access to the
KMS key, or the raw data key — this command checks the manifest's MAC, unwraps the data key,
authenticates every segment, checks size and sha256 against the manifest, decompresses, and
writes the dump that ``pg_restore`` or ``mariadb`` load.

A partial output is never left behind: the dump is written to a temporary file beside
``--output`` and renamed into place only after every check passed; on failure it is deleted.
To stdout, the object is first read and checked in full, then streamed a second time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

if TYPE_CHECKING:
    from rich.progress import Progress

    from strongroom.crypto.manifest import Manifest
    from strongroom.storage.base import ObjectStore

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom decrypt``."""
    parser = subparsers.add_parser(
        "decrypt",
        help="decrypt a backup offline into a plain dump (no cluster needed)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    source = parser.add_argument_group("data object (a local file, or an S3 object)")
    source.add_argument("--input", type=Path, help="local data object (data.sr)")
    source.add_argument("--bucket", help="S3 bucket of the data object")
    source.add_argument("--key", help="S3 key of the data object (…/data.sr)")
    source.add_argument("--endpoint", help="S3-compatible endpoint URL (default: AWS)")
    source.add_argument("--region", help="region (default: from the AWS profile)")
    source.add_argument("--ca-bundle", type=Path, help="CA bundle trusted for the endpoint")
    source.add_argument("--path-style", action="store_true", help="path-style S3 addressing")
    parser.add_argument(
        "--manifest",
        type=Path,
        help="local manifest.json (default: the manifest beside the data object)",
    )
    keys = parser.add_argument_group("key material (exactly one)")
    keys.add_argument("--keyring", type=Path, help="escrowed key-ring export (JSON)")
    keys.add_argument("--kms-key-id", help="AWS KMS key id/ARN/alias that wrapped the data key")
    keys.add_argument("--kms-endpoint", help="KMS endpoint URL (default: AWS)")
    keys.add_argument("--dek-file", type=Path, help="file with the raw 32-byte data key")
    parser.add_argument("--output", "-o", type=Path, help="dump file to write (default: stdout)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Decrypt one backup; returns the exit code."""
    from strongroom.errors import StrongroomError  # noqa: PLC0415 - keep --help fast

    problem = _usage_problem(args)
    if problem:
        sys.stderr.write(f"strongroom decrypt: {problem}\n")
        return EXIT_USAGE
    try:
        _decrypt(args)
    except StrongroomError as exc:
        sys.stderr.write(f"strongroom decrypt: {exc.reason}: {exc}\n")
        return EXIT_FAILED
    return EXIT_OK


def _usage_problem(args: argparse.Namespace) -> str | None:
    if (args.input is None) == (args.bucket is None or args.key is None):
        return "give either --input FILE or both --bucket and --key"
    chosen = [x for x in (args.keyring, args.kms_key_id, args.dek_file) if x is not None]
    if len(chosen) != 1:
        return "give exactly one of --keyring, --kms-key-id, --dek-file"
    return None


def _decrypt(args: argparse.Namespace) -> None:
    from strongroom.agent.pipeline import check_integrity  # noqa: PLC0415
    from strongroom.agent.reading import expected_of  # noqa: PLC0415

    store = _store(args)
    manifest = _manifest(args, store)
    dek = _data_key(args, manifest)
    expected = expected_of(manifest)
    size = manifest.data_size
    if args.output is None:
        # Nothing written to stdout can be taken back: check everything first.
        with (
            _open_data(args, store) as raw,
            _reading(raw, total=size, what="checking") as source,
        ):
            check_integrity(source, dek=dek, expected=expected)
        with (
            _open_data(args, store) as raw,
            _reading(raw, total=size, what="decrypting") as source,
        ):
            check_integrity(source, dek=dek, expected=expected, sink=sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    output: Path = args.output
    handle, temp_name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent or ".")
    temp = Path(temp_name)
    try:
        with (
            os.fdopen(handle, "wb") as sink,
            _open_data(args, store) as raw,
            _reading(raw, total=size, what="decrypting") as source,
        ):
            check_integrity(source, dek=dek, expected=expected, sink=sink)
        temp.replace(output)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _store(args: argparse.Namespace) -> ObjectStore | None:
    if args.bucket is None:
        return None
    from strongroom.storage.config import StorageConfig  # noqa: PLC0415
    from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415

    return S3ObjectStore(
        StorageConfig(
            bucket=args.bucket,
            region=args.region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=args.endpoint,
            ca_bundle_file=args.ca_bundle,
            force_path_style=args.path_style,
        )
    )


def _manifest(args: argparse.Namespace, store: ObjectStore | None) -> Manifest:
    from strongroom.crypto.manifest import from_json  # noqa: PLC0415
    from strongroom.errors import ConfigError  # noqa: PLC0415

    if args.manifest is not None:
        path: Path = args.manifest
    elif store is None:
        path = Path(args.input).with_name("manifest.json")
    else:
        key: str = args.key
        return from_json(store.get_bytes(key.rsplit("/", 1)[0] + "/manifest.json"))
    try:
        return from_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(
            f"manifest {path} cannot be read ({exc.strerror}); pass --manifest"
        ) from None


def _data_key(args: argparse.Namespace, manifest: Manifest) -> bytes:
    from strongroom.agent.context import read_dek  # noqa: PLC0415
    from strongroom.crypto.manifest import open_manifest, verify  # noqa: PLC0415
    from strongroom.errors import ConfigError  # noqa: PLC0415

    if args.dek_file is not None:
        dek = read_dek(args.dek_file)
        verify(manifest, dek)
        return dek
    if args.keyring is not None:
        from strongroom.crypto.keyring import KeyRing, KeyRingWrapper  # noqa: PLC0415

        try:
            ring = KeyRing.from_export_json(Path(args.keyring).read_bytes())
        except OSError as exc:
            raise ConfigError(
                f"key ring export {args.keyring} cannot be read ({exc.strerror})"
            ) from None
        return open_manifest(manifest, [KeyRingWrapper(ring)])
    from strongroom.crypto.kms import KmsWrapper  # noqa: PLC0415
    from strongroom.storage.aws import kms_client  # noqa: PLC0415

    client = kms_client(region=args.region, endpoint_url=args.kms_endpoint or args.endpoint)
    return open_manifest(manifest, [KmsWrapper(client, args.kms_key_id)])


@contextlib.contextmanager
def _open_data(args: argparse.Namespace, store: ObjectStore | None) -> Iterator[BinaryIO]:
    from strongroom.errors import ConfigError  # noqa: PLC0415

    if store is not None:
        with store.open_read(args.key) as raw:
            yield raw
        return
    path = Path(args.input)
    if not path.is_file():
        raise ConfigError(f"data object {path} does not exist or is not a file")
    with path.open("rb") as handle:
        yield handle


class _Progress:
    """Reads ciphertext while advancing a rich progress bar on stderr (only on a terminal)."""

    def __init__(self, raw: BinaryIO, *, total: int, what: str) -> None:
        self._raw = raw
        self._bar: Progress | None = None
        if sys.stderr.isatty():
            from rich.console import Console  # noqa: PLC0415
            from rich.progress import Progress  # noqa: PLC0415

            self._bar = Progress(console=Console(stderr=True), transient=True)
            self._task = self._bar.add_task(what, total=total)
            self._bar.start()

    def read(self, size: int = -1, /) -> bytes:
        data = self._raw.read(size)
        if self._bar is not None:
            self._bar.update(self._task, advance=len(data))
        return data

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


@contextlib.contextmanager
def _reading(raw: BinaryIO, *, total: int, what: str) -> Iterator[BinaryIO]:
    progress = _Progress(raw, total=total, what=what)
    try:
        yield cast("BinaryIO", progress)
    finally:
        progress.close()
