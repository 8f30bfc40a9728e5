"""The ``ErasureLedger`` resource: people erased since a backup was taken stay erased.

A whole-database dump cannot be shredded per customer, so a restore brings back every person
erased after the dump. The ledger lists those erasures as *deletes by key* (table, key column,
key values); after every Restore of a backup of a listed policy the restore Job replays them
into the target. Entries are data, never SQL text: the table and column are checked against an
identifier pattern here and quoted as identifiers by the engines, and the values are bound as
query parameters, so a ledger entry cannot inject SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from pydantic import ConfigDict, Field, model_validator

from strongroom.api.common import NAME_MAX, Condition, LocalObjectRef, SpecModel, StatusModel

#: A plain SQL identifier: letters, digits, underscore and ``$``; never quotes, dots or spaces.
IDENTIFIER_PATTERN: Final = r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$"
#: An erasure request id (your ticket number): no spaces, no personal data.
ENTRY_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"
#: Most key values one delete may list; split a larger erasure into several deletes.
MAX_VALUES: Final = 1000
MAX_DELETES: Final = 64
MAX_ENTRIES: Final = 5000


class ErasureDelete(SpecModel):
    """Delete the rows of one table whose key column holds one of the values."""

    schema_name: str | None = Field(
        default=None,
        alias="schema",
        pattern=IDENTIFIER_PATTERN,
        description="PostgreSQL schema of the table (default public); not used on MariaDB/MySQL, "
        "where the restore target database is the schema.",
    )
    table: str = Field(pattern=IDENTIFIER_PATTERN, description="Table name (an identifier).")
    column: str = Field(
        pattern=IDENTIFIER_PATTERN, description="Key column compared with the values."
    )
    values: list[str] = Field(
        min_length=1,
        max_length=MAX_VALUES,
        description="Key values, as text; bound as query parameters, never pasted into SQL.",
    )

    @property
    def qualified(self) -> str:
        """Return ``schema.table`` (or ``table``) for messages; holds no key value."""
        return f"{self.schema_name}.{self.table}" if self.schema_name else self.table


class ErasureEntry(SpecModel):
    """One erasure request: the deletes that remove one data subject, applied in order."""

    id: str = Field(
        pattern=ENTRY_ID_PATTERN,
        description="Your erasure request id (a ticket number); shown in status, Events and "
        "audit records, so it must not itself be personal data.",
    )
    erased_at: datetime | None = Field(
        default=None, description="When the subject was erased from the live database."
    )
    deletes: list[ErasureDelete] = Field(
        min_length=1,
        max_length=MAX_DELETES,
        description="Deletes run in this order in one transaction: list child tables before "
        "the tables their foreign keys point to.",
    )


class ErasureLedgerSpec(SpecModel):
    """Which policies' restores replay the ledger, and what it erases."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "self.policyRefs.all(p, "
                    "self.policyRefs.exists_one(q, q.name == p.name))",
                    "message": "spec.policyRefs: list each policy once",
                }
            ]
        }
    )

    policy_refs: list[LocalObjectRef] = Field(
        min_length=1,
        max_length=64,
        description="BackupPolicies (same namespace) whose restored backups get this ledger "
        "replayed.",
    )
    entries: list[ErasureEntry] = Field(
        default_factory=list,
        max_length=MAX_ENTRIES,
        description="Erasures, oldest first; append new ones, never edit a replayed one.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["id"]},
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> ErasureLedgerSpec:
        seen: set[str] = set()
        for index, entry in enumerate(self.entries):
            if entry.id in seen:
                raise ValueError(
                    f"entries[{index}].id: {entry.id!r} is used twice; give each erasure "
                    "request its own id"
                )
            seen.add(entry.id)
        return self


class ErasureLedgerStatus(StatusModel):
    """What the operator last did with the ledger."""

    entries: int | None = Field(default=None, description="Number of entries in the spec.")
    last_replay_time: datetime | None = Field(
        default=None, description="When a restore last replayed this ledger."
    )
    last_replay_restore: str | None = Field(
        default=None, max_length=NAME_MAX, description="The Restore that last replayed it."
    )
    conditions: list[Condition] | None = Field(
        default=None,
        max_length=16,
        description="Conditions of the ledger.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
