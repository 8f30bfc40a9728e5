"""The exception tree, and what each branch means for retrying.

Every error Strongroom raises on purpose derives from :class:`StrongroomError`. Messages name
the thing that is wrong and the fix; they never contain key bytes, passwords or row data, so an
exception can be logged, put into an Event or a status condition as it is.

::

    StrongroomError
    ├── ConfigError            permanent: a spec or setting is wrong; a person must change it
    ├── CryptoError            permanent: data or a manifest fails to authenticate or decode
    │   ├── FormatError        the bytes are not a Strongroom object (bad magic, version, header)
    │   ├── IntegrityError     authentication failed: flipped bit, truncation, reordering, swap
    │   └── KeyUnavailableError  no key in the ring can open this object (names id/version needed)
    │       └── KeyServiceUnavailableError  KMS unreachable or throttling (retryable)
    ├── EngineError            a dump or restore tool failed or produced an incomplete result
    ├── StorageError           the object store refused or failed (transient ones are retried)
    ├── VerificationError      a restored backup differs from what was dumped
    └── KubeError              the Kubernetes API failed; ``retryable`` tells the controller

Only the controller translates these into ``kopf.TemporaryError``/``kopf.PermanentError``
(according to :attr:`StrongroomError.retryable`): the domain layers never import Kopf.
"""

from __future__ import annotations


class StrongroomError(Exception):
    """Base of every error Strongroom raises on purpose.

    ``reason`` is a CamelCase machine reason reused verbatim in conditions and Events.
    """

    reason: str = "Error"
    retryable: bool = False

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class ConfigError(StrongroomError):
    """A spec field, Secret content or setting is wrong; retrying cannot help."""

    reason = "InvalidConfiguration"


class CryptoError(StrongroomError):
    """Encrypted data or a manifest cannot be opened; fails closed, never partially."""

    reason = "CryptoFailure"


class FormatError(CryptoError):
    """The bytes are not a Strongroom object of a version this code reads."""

    reason = "BadFormat"


class IntegrityError(CryptoError):
    """Authentication failed: the data was altered, truncated, reordered, extended or swapped."""

    reason = "IntegrityCheckFailed"


class KeyUnavailableError(CryptoError):
    """No key available here opens the object; the message names the key id and version."""

    reason = "KeyUnavailable"


class KeyServiceUnavailableError(KeyUnavailableError):
    """The key service (AWS KMS) could not be reached or throttled us; retrying may help."""

    reason = "KeyServiceUnavailable"
    retryable = True


class EngineError(StrongroomError):
    """A database tool failed, or its output was incomplete."""

    reason = "DatabaseToolFailed"
    retryable = True


class StorageError(StrongroomError):
    """The object store failed; ``retryable`` is set for outages, not for refusals."""

    reason = "StorageFailure"

    def __init__(self, message: str, *, reason: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, reason=reason)
        self.retryable = retryable


class VerificationError(StrongroomError):
    """A restored backup is not what was dumped (row counts or fingerprints differ)."""

    reason = "VerificationMismatch"


_SERVER_ERROR = 500
#: Reasons for refusals a person must act on (RBAC, a missing object), shown in conditions.
_REFUSALS = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 422: "Invalid"}


class KubeError(StrongroomError):
    """A Kubernetes API call failed; conflicts and outages are retryable, refusals are not."""

    reason = "KubernetesAPIError"

    def __init__(
        self, message: str, *, status: int | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message, reason=reason or _REFUSALS.get(status or 0))
        self.status = status
        self.retryable = status is None or status >= _SERVER_ERROR or status in {409, 429}
