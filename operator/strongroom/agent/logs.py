"""Structured agent logs: one JSON line per step on stderr.

Fields are chosen by the caller from a fixed vocabulary (sizes, keys, durations, reasons).
Nothing here formats a data key, a password or a row: the agent never passes them, and the
formatter drops exception tracebacks (which could quote local values) in favour of the
exception type and our own message.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

_LOGGER = "strongroom.agent"


class JsonFormatter(logging.Formatter):
    """Render a record as one compact JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line for ``record``."""
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = type(record.exc_info[1]).__name__
        return json.dumps(entry, default=str, separators=(",", ":"))


def configure() -> None:
    """Send every log record to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_strongroom", False):
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._strongroom = True  # type: ignore[attr-defined]  # noqa: SLF001
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def step(name: str, message: str, /, **fields: object) -> None:
    """Log one pipeline step with structured fields."""
    logging.getLogger(_LOGGER).info(message, extra={"fields": {"step": name, **fields}})


def failure(name: str, message: str, /, **fields: object) -> None:
    """Log a failed step."""
    logging.getLogger(_LOGGER).error(message, extra={"fields": {"step": name, **fields}})
