"""AWS KMS as the key-encryption key: the alternative to a key ring held in a Secret.

With KMS the KEK never leaves the key service; we keep only KMS ciphertext blobs. Each call
carries an encryption context built from the backup's identity, so KMS itself refuses to
unwrap a data key for any other backup (and CloudTrail logs which backup a key was used for).
KMS errors are translated into our own types: a refusal is :class:`KeyUnavailableError`
(permanent), an outage or throttling is :class:`KeyServiceUnavailableError` (retryable), and
a ciphertext that does not match its context is :class:`IntegrityError`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from strongroom.crypto.wrapping import KeyBinding, WrappedKey
from strongroom.errors import (
    FormatError,
    IntegrityError,
    KeyServiceUnavailableError,
    KeyUnavailableError,
)

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

_DEK_SIZE = 32
_TRANSIENT = frozenset(
    {
        "ThrottlingException",
        "KMSInternalException",
        "DependencyTimeoutException",
        "KeyUnavailableException",
        "LimitExceededException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalFailure",
    }
)


class KmsWrapper:
    """A :class:`~strongroom.crypto.wrapping.KeyWrapper` backed by one AWS KMS key.

    ``key_id`` is what the policy names (key id, ARN or ``alias/...``); entries record it as
    ``key_id`` and the key ARN KMS reports as ``key_version``.
    """

    def __init__(
        self, kms_client: KMSClient, key_id: str, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        self._kms = kms_client
        self.key_id = key_id
        self._clock = clock or (lambda: datetime.now(UTC))

    def _fail(self, exc: Exception, binding: KeyBinding, action: str) -> Exception:
        where = f"KMS key {self.key_id} could not {action} the data key of {binding.identity}"
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            if code == "InvalidCiphertextException":
                return IntegrityError(
                    f"{where}: the wrapped key belongs to another backup or was altered "
                    "(KMS encryption context does not match)"
                )
            if code in _TRANSIENT or code.startswith("5"):
                return KeyServiceUnavailableError(f"{where}: KMS answered {code}; retrying")
            return KeyUnavailableError(
                f"{where}: KMS answered {code} (check the key exists, is enabled, and the "
                "operator's credentials may use it)"
            )
        return KeyServiceUnavailableError(f"{where}: KMS is unreachable ({type(exc).__name__})")

    def generate_data_key(self, binding: KeyBinding) -> tuple[bytes, WrappedKey]:
        """A fresh data key from KMS and its wrapped form, bound to ``binding``."""
        try:
            answer = self._kms.generate_data_key(
                KeyId=self.key_id,
                KeySpec="AES_256",
                EncryptionContext=binding.encryption_context(),
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, binding, "generate") from None
        entry = WrappedKey(
            "kms", self.key_id, answer["KeyId"], answer["CiphertextBlob"], self._clock()
        )
        return answer["Plaintext"], entry

    def wrap(self, dek: bytes, binding: KeyBinding) -> WrappedKey:
        """Encrypt ``dek`` under the KMS key with the binding's encryption context."""
        if len(dek) != _DEK_SIZE:
            raise FormatError("a data key must be exactly 32 bytes (AES-256)")
        try:
            answer = self._kms.encrypt(
                KeyId=self.key_id,
                Plaintext=bytes(dek),
                EncryptionContext=binding.encryption_context(),
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, binding, "wrap") from None
        return WrappedKey(
            "kms", self.key_id, answer["KeyId"], answer["CiphertextBlob"], self._clock()
        )

    def can_unwrap(self, wrapped: WrappedKey) -> bool:
        """Whether the entry names this KMS key (by the id we were given or its ARN)."""
        return wrapped.kind == "kms" and self.key_id in {wrapped.key_id, wrapped.key_version}

    def unwrap(self, wrapped: WrappedKey, binding: KeyBinding) -> bytes:
        """Decrypt the entry with KMS under the binding's encryption context."""
        if not self.can_unwrap(wrapped):
            raise KeyUnavailableError(
                f"backup {binding.identity} needs {wrapped.label}, not KMS key {self.key_id}"
            )
        try:
            answer = self._kms.decrypt(
                CiphertextBlob=wrapped.wrapped,
                KeyId=wrapped.key_version or self.key_id,
                EncryptionContext=binding.encryption_context(),
            )
        except (ClientError, BotoCoreError) as exc:
            raise self._fail(exc, binding, "unwrap") from None
        plaintext = answer["Plaintext"]
        if len(plaintext) != _DEK_SIZE:
            raise IntegrityError(
                f"KMS returned {len(plaintext)} bytes for the data key of {binding.identity}, "
                "not 32: the entry was altered"
            )
        return plaintext
