"""Building blocks shared by every Strongroom resource: durations, references, conditions, enums.

Why one module: the CRD schemas are generated from these models (``crdgen``), so a type defined
once here reads the same in every resource and in ``kubectl explain``. Every model uses camelCase
aliases (``populate_by_name`` lets Python code use snake_case), forbids unknown fields in specs
and is frozen, because a spec is a value, not a place to keep state.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

GROUP: Final = "strongroom.dev"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"

DURATION_PATTERN: Final = r"^[0-9]+(s|m|h|d|w)$"
_DURATION_RE: Final = re.compile(DURATION_PATTERN)
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class Duration(str):
    """A length of time as a number and one unit: ``90s``, ``15m``, ``12h``, ``30d``, ``2w``.

    Kubernetes convention (api-conventions.md) is a string validated by pattern; one unit keeps
    the value readable in ``kubectl get -o yaml`` and cheap to check in CEL. ``d`` is 24 hours
    and ``w`` is 7 days, whatever the calendar or DST does.
    """

    __slots__ = ()

    def __new__(cls, value: str) -> Self:
        """Validate the text and build the value."""
        if not isinstance(value, str) or not _DURATION_RE.match(value):
            raise ValueError(
                f"duration {value!r} must be a whole number and one unit of s, m, h, d or w "
                '(for example "90s", "15m", "12h", "30d", "2w")'
            )
        return super().__new__(cls, value)

    def to_timedelta(self) -> timedelta:
        """Return the duration as a :class:`datetime.timedelta`."""
        return timedelta(seconds=self.seconds)

    @property
    def seconds(self) -> int:
        """Return the duration in whole seconds."""
        return int(self[:-1]) * _UNIT_SECONDS[self[-1]]

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Validate from a string; serialise back to the same string."""
        del source, handler
        return core_schema.no_info_after_validator_function(
            cls,
            core_schema.str_schema(),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Describe the type as a string with the duration pattern."""
        del schema, handler
        return {"type": "string", "pattern": DURATION_PATTERN, "maxLength": 16}


def parse_duration(value: str) -> timedelta:
    """Parse ``"30d"``-style text into a :class:`datetime.timedelta`.

    Raises:
        ValueError: the text is not a number followed by one of s, m, h, d, w.
    """
    return Duration(value).to_timedelta()


class SpecModel(BaseModel):
    """Base of every spec model: camelCase aliases, unknown fields refused, values frozen."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )


class StatusModel(BaseModel):
    """Base of status models: like specs, but unknown fields are ignored.

    Status is written by the operator; an older or newer operator may have written fields this
    version does not know, and reading them must not fail.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )


class Engine(StrEnum):
    """Database engine of the protected database. MariaDB uses the ``mysql`` engine."""

    POSTGRESQL = "postgresql"
    MYSQL = "mysql"


DEFAULT_PORTS: Final = {Engine.POSTGRESQL: 5432, Engine.MYSQL: 3306}


class BackupPhase(StrEnum):
    """Where a backup, verification or restore run is in its life."""

    PENDING = "Pending"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class VerificationLevel(StrEnum):
    """How deeply a backup is proven: each level includes the ones before it.

    ``integrity``: the object decrypts and authenticates end to end and its sha256 matches.
    ``restorability``: it also restores into an isolated scratch database.
    ``equivalence``: row counts and content fingerprints per table after the restore equal the
    ones recorded at dump time; the measured restore time is the observed RTO.
    """

    INTEGRITY = "integrity"
    RESTORABILITY = "restorability"
    EQUIVALENCE = "equivalence"

    @property
    def rank(self) -> int:
        """Return 1, 2 or 3, so levels can be compared (``a.rank >= b.rank``)."""
        return _LEVEL_RANK[self]


_LEVEL_RANK: Final = {
    VerificationLevel.INTEGRITY: 1,
    VerificationLevel.RESTORABILITY: 2,
    VerificationLevel.EQUIVALENCE: 3,
}


class DeletionPolicy(StrEnum):
    """What happens to a policy's backups when the policy is deleted."""

    RETAIN = "Retain"
    DELETE = "Delete"


class ConditionType(StrEnum):
    """Condition types written by the operator (``metav1.Condition.type``)."""

    READY = "Ready"
    COMPLIANT = "Compliant"
    BACKUP_SUCCEEDED = "BackupSucceeded"
    VERIFIED = "Verified"
    KEY_ROTATED = "KeyRotated"


ConditionStatus = Literal["True", "False", "Unknown"]

NAME_MAX: Final = 253


class LocalObjectRef(SpecModel):
    """A reference to an object in the same namespace, by name."""

    name: str = Field(
        min_length=1,
        max_length=NAME_MAX,
        description="Name of the object, in the same namespace as the referring resource.",
    )


class SecretKeyRef(SpecModel):
    """One key of a Secret in the same namespace."""

    name: str = Field(
        min_length=1,
        max_length=NAME_MAX,
        description="Name of the Secret, in the same namespace as the referring resource.",
    )
    key: str = Field(
        min_length=1,
        max_length=NAME_MAX,
        description="Key inside the Secret's data whose value is used.",
    )


class Condition(StatusModel):
    """The standard Kubernetes condition (``metav1.Condition``)."""

    type: str = Field(
        max_length=316,
        description="Kind of condition: Ready, Compliant, BackupSucceeded, Verified, KeyRotated.",
    )
    status: ConditionStatus = Field(
        description="True, False or Unknown: whether the condition holds right now."
    )
    reason: str = Field(
        default="",
        max_length=1024,
        description="CamelCase machine reason for the last transition (for example SlotDue).",
    )
    message: str = Field(
        default="",
        max_length=32768,
        description="Human sentence about the transition; never contains secrets.",
    )
    last_transition_time: datetime | None = Field(
        default=None, description="When the status last changed from one value to another."
    )
    observed_generation: int | None = Field(
        default=None,
        ge=0,
        description="metadata.generation of the resource this condition was computed from.",
    )
