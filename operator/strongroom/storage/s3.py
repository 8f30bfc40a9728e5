"""The S3 adapter: boto3 against AWS or any S3-compatible endpoint.

Retries happen at two levels. botocore retries every request (``standard`` or ``adaptive``
mode, bounded attempts, exponential backoff with jitter). On top of that, part uploads and
ranged reads get our own bounded, jittered retries, because a part is the unit of work we can
repeat safely after a longer 5xx burst or a connection reset (RELIABILITY F3). When everything
is exhausted the upload is aborted and a :class:`StorageError` names the reason.
"""

from __future__ import annotations

import builtins
import io
import logging
import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from strongroom.errors import StorageError
from strongroom.storage.base import MultipartWriter, ObjectInfo, PendingUpload, UploadWriter
from strongroom.storage.config import StorageConfig
from strongroom.storage.parts import part_size_for
from strongroom.storage.s3_errors import TRANSIENT_ERRORS, is_retryable, translate

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)
T = TypeVar("T")
_NOT_IMPLEMENTED = 501


class S3ObjectStore:
    """:class:`~strongroom.storage.base.ObjectStore` on one bucket of an S3 endpoint."""

    def __init__(
        self, config: StorageConfig, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self._sleep = sleep
        creds = config.credentials()
        session = boto3.session.Session(
            aws_access_key_id=creds.access_key_id if creds else None,
            aws_secret_access_key=creds.secret_access_key if creds else None,
            aws_session_token=creds.session_token if creds else None,
            region_name=config.region,
        )
        client_config = Config(
            region_name=config.region,
            signature_version="s3v4",
            retries=cast(
                "Any", {"mode": config.retry_mode, "total_max_attempts": config.max_attempts}
            ),
            s3={"addressing_style": "path" if config.force_path_style else "auto"},
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
            # S3-compatible endpoints differ in which flexible checksums they accept; only
            # send them where an operation requires one (parts still carry Content-MD5-free
            # SigV4 payload signing).
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self._client: S3Client = session.client(
            "s3",
            endpoint_url=config.endpoint_url,
            config=client_config,
            verify=str(config.ca_bundle_file) if config.ca_bundle_file else None,
        )

    @property
    def bucket(self) -> str:
        """The bucket every key refers to."""
        return self.config.bucket

    # -- retries ---------------------------------------------------------------------------
    def _with_retries(self, action: str, key: str, call: Callable[[], T]) -> T:
        """Run ``call`` with our own bounded, jittered retries on transient failures."""
        attempts = max(1, self.config.part_attempts)
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except (BotoCoreError, ClientError) as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise translate(exc, action=action, bucket=self.bucket, key=key) from exc
                delay = min(
                    self.config.retry_max_seconds,
                    self.config.retry_base_seconds * 2 ** (attempt - 1),
                )
                delay = random.uniform(delay / 2, delay)  # noqa: S311 - jitter, not crypto
                log.warning(
                    "s3 %s of %s failed (%s), retrying in %.1fs (attempt %d of %d)",
                    action,
                    key,
                    type(exc).__name__,
                    delay,
                    attempt,
                    attempts,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, action: str, key: str, call: Callable[[], T]) -> T:
        """Run ``call`` once (botocore still retries it) and translate its errors."""
        try:
            return call()
        except (BotoCoreError, ClientError) as exc:
            raise translate(exc, action=action, bucket=self.bucket, key=key) from exc

    # -- writes ----------------------------------------------------------------------------
    def open_upload(
        self, key: str, *, content_type: str, expected_size: int | None = None
    ) -> UploadWriter:
        """Start a multipart upload of ``key``."""
        response = self._with_retries(
            "create multipart upload",
            key,
            lambda: self._client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ContentType=content_type
            ),
        )
        log.info("s3 multipart upload of %s started", key)
        return _S3Upload(
            store=self, key=key, upload_id=response["UploadId"], base=part_size_for(expected_size)
        )

    def put_bytes(self, key: str, data: bytes, *, if_none_match: bool = False) -> None:
        """Write a small object, refusing to replace one when ``if_none_match`` is set."""
        if not if_none_match:
            self._with_retries(
                "put", key, lambda: self._client.put_object(Bucket=self.bucket, Key=key, Body=data)
            )
            return
        try:
            self._with_retries(
                "conditional put",
                key,
                lambda: self._client.put_object(
                    Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*"
                ),
            )
        except StorageError as exc:
            cause = exc.__cause__
            status = 0
            if isinstance(cause, ClientError):
                status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if status != _NOT_IMPLEMENTED:
                raise
            # The endpoint has no conditional writes: check, then write (a small race window).
            if self.head(key) is not None:
                raise StorageError(
                    f"s3://{self.bucket}/{key} already exists; refusing to overwrite",
                    reason="ObjectExists",
                    retryable=False,
                ) from None
            self.put_bytes(key, data)

    def delete(self, key: str) -> None:
        """Delete ``key`` (missing keys are fine)."""
        self._with_retries(
            "delete", key, lambda: self._client.delete_object(Bucket=self.bucket, Key=key)
        )

    # -- reads -----------------------------------------------------------------------------
    def get_bytes(self, key: str) -> bytes:
        """Read a small object whole."""

        def call() -> bytes:
            body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
            return body.read()

        return self._with_retries("get", key, call)

    def open_read(self, key: str, *, etag: str | None = None) -> BinaryIO:
        """Stream ``key``; resets resume with a ranged GET pinned to the same ETag."""
        reader = _S3Reader(self, key, etag=etag)
        return cast("BinaryIO", io.BufferedReader(reader, buffer_size=1024 * 1024))

    def head(self, key: str) -> ObjectInfo | None:
        """Return the object's metadata, or ``None`` when it does not exist."""
        try:
            response = self._with_retries(
                "head", key, lambda: self._client.head_object(Bucket=self.bucket, Key=key)
            )
        except StorageError as exc:
            if exc.reason == "ObjectNotFound":
                return None
            raise
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            etag=str(response.get("ETag", "")),
            last_modified=response.get("LastModified"),
        )

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        """Yield every object under ``prefix``, in key order."""
        paginator = self._client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"],
                        size=int(item["Size"]),
                        etag=str(item.get("ETag", "")),
                        last_modified=item.get("LastModified"),
                    )
        except (BotoCoreError, ClientError) as exc:
            raise translate(exc, action="list", bucket=self.bucket, key=prefix) from exc

    def list_incomplete_uploads(self, prefix: str) -> builtins.list[PendingUpload]:
        """Multipart uploads under ``prefix`` never completed nor aborted."""
        paginator = self._client.get_paginator("list_multipart_uploads")
        found: builtins.list[PendingUpload] = []
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                found.extend(
                    PendingUpload(
                        key=item["Key"], upload_id=item["UploadId"], initiated=item.get("Initiated")
                    )
                    for item in page.get("Uploads", [])
                )
        except (BotoCoreError, ClientError) as exc:
            raise translate(
                exc, action="list multipart uploads", bucket=self.bucket, key=prefix
            ) from exc
        return found

    def abort_incomplete_uploads(self, prefix: str) -> int:
        """Abort every pending upload under ``prefix`` (a previous attempt's leftovers)."""
        pending = self.list_incomplete_uploads(prefix)
        for upload in pending:
            self._abort(upload.key, upload.upload_id)
        return len(pending)

    def bucket_region(self) -> str:
        """The bucket's real location; S3 reports us-east-1 as empty and eu-west-1 as ``EU``."""
        response = self._with_retries(
            "get bucket location",
            "",
            lambda: self._client.get_bucket_location(Bucket=self.bucket),
        )
        raw: Any = response.get("LocationConstraint")
        location = str(raw or "us-east-1")
        return "eu-west-1" if location == "EU" else str(location)

    # -- used by the upload writer ---------------------------------------------------------
    def _upload_part(self, key: str, upload_id: str, number: int, data: bytes) -> str:
        response = self._with_retries(
            f"upload of part {number}",
            key,
            lambda: self._client.upload_part(
                Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
            ),
        )
        return str(response["ETag"])

    def _complete(self, key: str, upload_id: str, etags: builtins.list[str]) -> None:
        parts: Any = [{"ETag": etag, "PartNumber": n} for n, etag in enumerate(etags, start=1)]
        self._with_retries(
            "complete multipart upload",
            key,
            lambda: self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            ),
        )

    def _abort(self, key: str, upload_id: str) -> None:
        self._with_retries(
            "abort multipart upload",
            key,
            lambda: self._client.abort_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            ),
        )
        log.info("s3 multipart upload of %s aborted", key)

    def _get_stream(self, key: str, *, start: int, etag: str | None) -> tuple[Any, str, int]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if start:
            kwargs["Range"] = f"bytes={start}-"
        if etag:
            kwargs["IfMatch"] = etag
        response: Any = self._client.get_object(**kwargs)
        return response["Body"], str(response.get("ETag", "")), int(response["ContentLength"])


class _S3Upload(MultipartWriter):
    def __init__(self, *, store: S3ObjectStore, key: str, upload_id: str, base: int) -> None:
        super().__init__(key=key, base_part_size=base)
        self._store = store
        self._upload_id = upload_id
        self._etags: list[str] = []

    def _send_part(self, number: int, data: bytes) -> None:
        self._etags.append(self._store._upload_part(self.key, self._upload_id, number, data))  # noqa: SLF001

    def _complete(self) -> None:
        self._store._complete(self.key, self._upload_id, self._etags)  # noqa: SLF001
        log.info("s3 object %s complete (%d parts)", self.key, len(self._etags))

    def _discard(self) -> None:
        self._store._abort(self.key, self._upload_id)  # noqa: SLF001

    def _on_abort_failed(self) -> None:
        log.error(
            "s3 abort of the multipart upload of %s failed; the next run for this key, or a "
            "bucket lifecycle rule, removes it",
            self.key,
        )


class _S3Reader(io.RawIOBase):
    """A streaming GET that resumes after a reset with a ranged GET of the same version."""

    def __init__(self, store: S3ObjectStore, key: str, *, etag: str | None) -> None:
        super().__init__()
        self._store = store
        self._key = key
        self._pos = 0
        self._etag = etag
        self._body: Any = None
        self._resumes = 0

    def readable(self) -> bool:
        return True

    def _open(self) -> None:
        def call() -> tuple[Any, str, int]:
            return self._store._get_stream(self._key, start=self._pos, etag=self._etag)  # noqa: SLF001

        body, etag, _ = self._store._with_retries("get", self._key, call)  # noqa: SLF001
        self._body = body
        if self._etag is None:
            self._etag = etag

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._body is None:
                self._open()
            try:
                chunk: bytes = self._body.read(len(view))
            except TRANSIENT_ERRORS as exc:
                self._resumes += 1
                if self._resumes > self._store.config.part_attempts:
                    raise translate(
                        exc, action="read", bucket=self._store.bucket, key=self._key
                    ) from exc
                log.warning("s3 read of %s reset at byte %d; resuming", self._key, self._pos)
                self._body = None
                continue
            n = len(chunk)
            view[:n] = chunk
            self._pos += n
            return n

    def close(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None
        super().close()
