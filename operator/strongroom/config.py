"""The operator's settings: one documented object, read once from ``STRONGROOM_*`` variables.

Kopf's own ``OperatorSettings`` is the model (``kopf/_cogs/configs/configuration.py``): every
setting says its unit, its default and *why* that default. The object is loaded once by
``strongroom operator`` (or on first use by ``kopf run -m strongroom.controller``) and passed
in; nothing deeper in the code reads ``os.environ``. The Helm chart sets these variables
(``charts/strongroom/templates/operator.yaml``), so the names here are a contract with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_current: OperatorConfig | None = None


class OperatorConfig(BaseSettings):
    """Everything the operator process can be told, with the reason for each default."""

    model_config = SettingsConfigDict(env_prefix="STRONGROOM_", frozen=True, extra="ignore")

    namespaces: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Namespaces to watch (comma-separated in STRONGROOM_NAMESPACES). Empty (default) "
            "means every namespace, which needs the chart's ClusterRole; a list matches the "
            "chart's per-namespace Roles (least privilege)."
        ),
    )
    operator_namespace: str | None = Field(
        default=None,
        description="Namespace the operator runs in (downward API); used only in log lines.",
    )
    agent_image: str = Field(
        default="ghcr.io/strongroom/strongroom:latest",
        description=(
            "Image of backup/verify/restore Job pods. Default: the operator's own image, since "
            "it carries the agent and the database client tools; the chart pins the same tag."
        ),
    )
    job_service_account: str = Field(
        default="strongroom-job",
        description=(
            "ServiceAccount the Job pods run as. It is bound to no Role and its token is never "
            "mounted, so a compromised Job cannot use the Kubernetes API; the operator creates "
            "it in a policy's namespace when it is missing."
        ),
    )
    metrics_port: int = Field(
        default=9090,
        ge=0,
        le=65535,
        description=(
            "TCP port of /metrics and /healthz (0 picks a free port, for tests). 9090 is what "
            "the chart's Service and ServiceMonitor scrape."
        ),
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description=(
            "Port of Kopf's own liveness endpoint (/healthz); unset (default) because the "
            "metrics server already answers /healthz on metrics_port."
        ),
    )
    timer_interval: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description=(
            "Longest sleep of each policy's loop between two looks at the shared indexes. "
            "Slots do not wait for it (the loop wakes at the planner's next_wake); it bounds "
            "how late a finished Job or a changed Backup is noticed. A look with nothing "
            "changed makes no API call, so 10 s costs little even for 1,000 policies."
        ),
    )
    resync_interval: float = Field(
        default=300.0,
        gt=0,
        description=(
            "Seconds (spread ±25 % per policy) after which a Ready policy gets a full look "
            "(Secrets, key ring, bucket, plan, status, metrics) even when nothing changed. "
            "Everything else that matters wakes a policy by itself (its Backups and Jobs through "
            "the indexes, its spec, the planner's next_wake); only a Secret changed under a "
            "Ready policy waits for this. Five minutes keeps a 1,000-policy fleet's idle cost "
            "small (a full look is ~8 API calls and two plans)."
        ),
    )
    max_concurrent_looks: int = Field(
        default=16,
        ge=1,
        le=1000,
        description=(
            "Full looks in progress at once. More do not go faster on one Python process; "
            "fewer keep the peak memory of a fleet's start small. A due slot's Backup is "
            "created outside this bound, so slots stay on time while looks queue."
        ),
    )
    timer_initial_delay: float = Field(
        default=1.0,
        ge=0,
        description="Seconds after startup before the first tick of each policy's timer.",
    )
    job_ttl_seconds: int = Field(
        default=3600,
        ge=0,
        description=(
            "ttlSecondsAfterFinished of Jobs: a finished Job (and, through its owner reference, "
            "its data-key Secret) is deleted after this many seconds. One hour leaves time to "
            "read its pod's log; the result is already in the Backup status."
        ),
    )
    job_backoff_limit: int = Field(
        default=2,
        ge=0,
        le=20,
        description=(
            "Retries of a failed backup pod unless the policy's jobTemplate says otherwise. "
            "Evictions never count (podFailurePolicy); two retries absorb a database restart."
        ),
    )
    job_active_deadline_seconds: int = Field(
        default=6 * 3600,
        ge=1,
        description=(
            "Kill a Job running longer than this (seconds) unless the policy overrides it: "
            "six hours is far beyond a healthy dump, so a hung one cannot block later slots."
        ),
    )
    job_cpu_request: str = Field(
        default="100m", description="Default CPU request of Job pods (Kubernetes quantity)."
    )
    job_memory_request: str = Field(
        default="256Mi",
        description="Default memory request of Job pods; the agent streams in bounded memory.",
    )
    job_memory_limit: str = Field(
        default="1Gi",
        description="Default memory limit of Job pods; generous over the measured streaming peak.",
    )
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="json (default; for log pipelines) or text (for people at a terminal).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description=(
            "Operator log level. DEBUG logs Kopf's request bodies: our Secrets never pass "
            "through Kopf, but keep DEBUG for short investigations."
        ),
    )
    peering_name: str | None = Field(
        default=None,
        description=(
            "Kopf peering object name; unset (default) runs standalone, which is right for the "
            "chart's single replica with strategy Recreate. Set it only for HA replicas."
        ),
    )
    peering_priority: int = Field(
        default=0,
        description=(
            "This replica's peering priority; replicas must differ (the chart uses the ordinal)."
        ),
    )
    bucket_check_interval: float = Field(
        default=300.0,
        ge=0,
        description=(
            "Seconds a successful bucket reachability check is trusted before asking S3 again; "
            "a failed check is retried on every tick."
        ),
    )
    allowed_regions: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Data residency for the whole cluster (comma-separated in "
            "STRONGROOM_ALLOWED_REGIONS; chart value residency.allowedRegions): the only regions "
            "buckets and KMS keys may really be in. Empty (default) restricts nothing. A "
            "policy's spec.storage.allowedRegions can narrow this list, never widen it."
        ),
    )
    coverage_interval: float = Field(
        default=300.0,
        ge=0,
        description=(
            "Seconds between two scans for databases no policy protects (Services and "
            "StatefulSets, exported as strongroom_unprotected_databases); 0 turns the scan off. "
            "Five minutes makes a forgotten database an alert within the alert's own delay."
        ),
    )
    api_connections: int = Field(
        default=16,
        ge=1,
        le=100,
        description=(
            "Requests the operator has in flight to the API server at once (its connection "
            "pool). A slot due for many policies queues its creates behind these instead of "
            "opening a TLS connection each (256 KiB of buffer and an answer being decoded per "
            "connection). Fewer bound that burst; more start a large fleet's slots sooner "
            "(1,000 policies: slot p99 4.6-8.8 s with 16, 3.7 s with 100; docs/operator.md)."
        ),
    )
    kubeconfig: Path | None = Field(
        default=None,
        description=(
            "Kubeconfig to log in with (`strongroom operator --kubeconfig`). Unset: KUBECONFIG, "
            "else the pod's ServiceAccount, else ~/.kube/config, in kubectl's order; a file "
            "given here or in KUBECONFIG wins over the pod's ServiceAccount, so an operator in "
            "one cluster can be pointed at another."
        ),
    )
    s3_max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="botocore attempts for the operator's own S3 calls (retention, checks).",
    )

    @field_validator("namespaces", "allowed_regions", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def cluster_wide(self) -> bool:
        """Return whether every namespace is watched."""
        return not self.namespaces


def current() -> OperatorConfig:
    """Return the process's configuration, reading the environment on first use."""
    global _current  # noqa: PLW0603 - one configuration per process, set once
    if _current is None:
        _current = OperatorConfig()
    return _current


def use(config: OperatorConfig) -> None:
    """Make ``config`` the process's configuration (the CLI calls this before Kopf starts)."""
    global _current  # noqa: PLW0603
    _current = config
