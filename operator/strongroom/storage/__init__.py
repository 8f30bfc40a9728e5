"""Object storage: the :class:`ObjectStore` port and its S3 and in-memory adapters.

Only this package imports boto3 (besides ``crypto.kms``). Importing the package itself does
not: the S3 adapter lives in :mod:`strongroom.storage.s3` and is imported where it is used,
so the agent's job model and the planner-facing code stay light.
"""

from strongroom.storage.base import (
    MultipartWriter,
    ObjectInfo,
    ObjectStore,
    PendingUpload,
    UploadWriter,
)
from strongroom.storage.config import Credentials, StorageConfig
from strongroom.storage.parts import MAX_PARTS, part_size_at, part_size_for, parts_needed

__all__ = [
    "MAX_PARTS",
    "Credentials",
    "MultipartWriter",
    "ObjectInfo",
    "ObjectStore",
    "PendingUpload",
    "StorageConfig",
    "UploadWriter",
    "part_size_at",
    "part_size_for",
    "parts_needed",
]
