"""botocore errors → :class:`~strongroom.errors.StorageError` with a reason a person understands.

Messages name the action, the bucket/key and the fix. They never include credentials: S3's own
error text is dropped for authentication failures (it can echo the access key id), and no
request headers or signatures are ever formatted in.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    IncompleteReadError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
    SSLError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from strongroom.errors import StorageError

_SERVER_ERROR = 500
_THROTTLING = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "ServiceUnavailable",
    "InternalError",
}
_DENIED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidToken",
    "Forbidden",
    "403",
}
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_PRECONDITION = {"PreconditionFailed", "412", "ConditionalRequestConflict"}

#: Errors of the connection rather than of S3: retry them (a reset mid-part, a restart).
TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    BotoConnectionError,
    ReadTimeoutError,
    IncompleteReadError,
    ResponseStreamingError,
)


def is_retryable(exc: BaseException) -> bool:
    """Whether a botocore error is an outage worth retrying (5xx, throttling, reset)."""
    if isinstance(exc, StorageError):
        return exc.retryable
    if isinstance(exc, SSLError):
        return False
    if isinstance(exc, TRANSIENT_ERRORS):
        return True
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return status >= _SERVER_ERROR or code in _THROTTLING
    return False


def translate(  # noqa: PLR0911 - one return per error family reads best
    exc: BaseException, *, action: str, bucket: str, key: str = ""
) -> StorageError:
    """Return the :class:`StorageError` for ``exc`` raised while doing ``action``."""
    where = f"s3://{bucket}/{key}" if key else f"bucket {bucket}"
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return StorageError(
            f"S3 {action} on {where}: no credentials found; mount the storage credentials "
            "Secret or configure an AWS profile",
            reason="StorageCredentialsMissing",
            retryable=False,
        )
    if isinstance(exc, SSLError):
        return StorageError(
            f"S3 {action} on {where}: TLS verification of the endpoint failed; "
            "set caBundleFile to the CA that signed the endpoint's certificate",
            reason="StorageTLSFailure",
            retryable=False,
        )
    if isinstance(exc, EndpointConnectionError):
        return StorageError(
            f"S3 {action} on {where}: endpoint unreachable ({exc.kwargs.get('endpoint_url', '')}); "
            "check the endpoint URL, network policy and that the service is up",
            reason="StorageUnreachable",
        )
    if isinstance(exc, (ConnectionClosedError, *TRANSIENT_ERRORS)):
        return StorageError(
            f"S3 {action} on {where}: the connection was reset or timed out "
            f"({type(exc).__name__}); retries were exhausted",
            reason="StorageUnreachable",
        )
    if isinstance(exc, ClientError):
        return _translate_client_error(exc, action=action, where=where, bucket=bucket)
    if isinstance(exc, BotoCoreError):
        return StorageError(
            f"S3 {action} on {where} failed: {type(exc).__name__}",
            reason="StorageFailure",
            retryable=False,
        )
    return StorageError(
        f"S3 {action} on {where} failed: {type(exc).__name__}",
        reason="StorageFailure",
        retryable=False,
    )


def _translate_client_error(  # noqa: PLR0911 - one return per S3 error family
    exc: ClientError, *, action: str, where: str, bucket: str
) -> StorageError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code == "NoSuchBucket":
        return StorageError(
            f"S3 {action}: bucket {bucket} does not exist; create it or fix storage.bucket",
            reason="BucketNotFound",
            retryable=False,
        )
    if code in _DENIED or status == 403:  # noqa: PLR2004 - HTTP Forbidden
        return StorageError(
            f"S3 {action} on {where}: access denied ({code or status}); check the credentials "
            "and that the bucket policy allows this action",
            reason="StorageAccessDenied",
            retryable=False,
        )
    if code in _NOT_FOUND or status == 404:  # noqa: PLR2004 - HTTP Not Found
        return StorageError(
            f"S3 {action}: {where} does not exist",
            reason="ObjectNotFound",
            retryable=False,
        )
    if code in _PRECONDITION or status == 412:  # noqa: PLR2004 - HTTP Precondition Failed
        if action == "get":
            return StorageError(
                f"S3 {action}: {where} changed while it was being read",
                reason="ObjectChanged",
                retryable=False,
            )
        return StorageError(
            f"S3 {action}: {where} already exists; refusing to overwrite",
            reason="ObjectExists",
            retryable=False,
        )
    if is_retryable(exc):
        return StorageError(
            f"S3 {action} on {where}: the service failed ({code or status}); retries exhausted",
            reason="StorageUnavailable",
        )
    message = str(error.get("Message", ""))[:200]
    return StorageError(
        f"S3 {action} on {where} failed: {code or status}: {message}",
        reason="StorageFailure",
        retryable=False,
    )
