"""The agent's result: one compact JSON document, read back by the operator.

It is written to the result file (the pod's termination message, which Kubernetes caps at
4096 bytes) and printed as the last line of stdout. To stay under the cap it carries counts and
the list of mismatching tables, never the full fingerprint tables, and trims long text.
It never holds key bytes, passwords or row data: messages come from our own error types.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from strongroom.api.backup import EquivalenceMethod

#: Kubernetes truncates termination messages at this many bytes.
TERMINATION_MESSAGE_LIMIT = 4096
_MAX_MESSAGE = 1024
_MAX_MISMATCHES = 10
_MAX_REASON = 300
#: Per-entry erasure counts carried (a few hundred bytes); totals always fit.
_MAX_COUNTS = 100


class AgentResult(BaseModel):
    """What one agent run achieved (camelCase JSON)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    role: Literal["backup", "verify", "restore"] = Field(description="What the run did.")
    outcome: Literal["succeeded", "failed"] = Field(description="Whether it achieved it.")
    reason: str = Field(
        default="Succeeded", description="CamelCase machine reason (from the error tree)."
    )
    message: str = Field(default="", description="One human sentence; no secrets.")
    data_key: str | None = Field(default=None, description="Object key of the data object.")
    manifest_key: str | None = Field(default=None, description="Object key of the manifest.")
    plaintext_size: int | None = Field(default=None, description="Dump bytes before compression.")
    compressed_size: int | None = Field(default=None, description="Bytes after zstd.")
    data_size: int | None = Field(default=None, description="Bytes of the encrypted data object.")
    data_sha256: str | None = Field(default=None, description="sha256 of the data object.")
    dump_seconds: float | None = Field(default=None, description="Dump + upload wall time.")
    restore_seconds: float | None = Field(
        default=None, description="Restore wall time (verify: the observed RTO)."
    )
    total_seconds: float | None = Field(default=None, description="Whole run wall time.")
    level_reached: Literal["none", "integrity", "restorability", "equivalence"] | None = Field(
        default=None, description="Highest verification level that passed."
    )
    tables: int | None = Field(default=None, description="Tables fingerprinted.")
    equivalence: EquivalenceMethod | None = Field(
        default=None,
        description="What the fingerprint check compared: content (counts and hashes) or "
        "rowCounts; unset when no check ran. Absent in results of older agents.",
    )
    equivalence_reason: str | None = Field(
        default=None, description="Why only row counts were compared (no secrets)."
    )
    mismatches: list[str] = Field(
        default_factory=list, description="Per-table differences (first few only)."
    )
    assertions_failed: list[str] = Field(
        default_factory=list, description="Custom SQL assertions that did not hold."
    )
    erasure_entries: int | None = Field(
        default=None, description="Erasure ledger entries replayed after a restore."
    )
    erasure_rows: int | None = Field(default=None, description="Rows those entries deleted.")
    erasure_counts: list[int] = Field(
        default_factory=list,
        description="Rows deleted per entry, in ledger order (the first few only); counts, "
        "never key values.",
    )

    def to_compact_json(self) -> str:
        """Compact camelCase JSON, guaranteed to fit the termination-message limit."""
        result = self.model_copy(
            update={
                "message": _trim(self.message, _MAX_MESSAGE),
                "equivalence_reason": self.equivalence_reason
                and _trim(self.equivalence_reason, _MAX_REASON),
                "mismatches": _trim_list(self.mismatches),
                "assertions_failed": _trim_list(self.assertions_failed),
                "erasure_counts": self.erasure_counts[:_MAX_COUNTS],
            }
        )
        text = result.model_dump_json(by_alias=True, exclude_none=True)
        while len(text.encode()) > TERMINATION_MESSAGE_LIMIT and (
            result.mismatches or result.assertions_failed or result.message
        ):
            result = result.model_copy(
                update={
                    "mismatches": result.mismatches[: len(result.mismatches) // 2],
                    "assertions_failed": result.assertions_failed[
                        : len(result.assertions_failed) // 2
                    ],
                    "message": _trim(result.message, len(result.message) // 2),
                }
            )
            text = result.model_dump_json(by_alias=True, exclude_none=True)
        return text

    @classmethod
    def from_json(cls, text: str) -> AgentResult:
        """Parse what :meth:`to_compact_json` wrote (the operator reads it back)."""
        return cls.model_validate(json.loads(text))


def equivalence_of(why_not_content: str | None) -> tuple[EquivalenceMethod, str | None]:
    """What a fingerprint check compared, and why not content, for the result's fields.

    ``why_not_content`` is :func:`~strongroom.api.fingerprints.hashes_not_comparable`'s
    answer: ``None`` means hashes and counts were compared.
    """
    if why_not_content is None:
        return EquivalenceMethod.CONTENT, None
    return EquivalenceMethod.ROW_COUNTS, why_not_content


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _trim_list(items: list[str]) -> list[str]:
    kept = [_trim(item, 200) for item in items[:_MAX_MISMATCHES]]
    if len(items) > _MAX_MISMATCHES:
        kept.append(f"… and {len(items) - _MAX_MISMATCHES} more")
    return kept


def write_result(result: AgentResult, path: Path) -> str:
    """Write the result to ``path`` (best effort) and return the JSON line for stdout."""
    text = result.to_compact_json()
    # Outside a pod /dev/termination-log may not exist; stdout still carries the result.
    with contextlib.suppress(OSError):
        path.write_text(text, encoding="utf-8")
    return text
