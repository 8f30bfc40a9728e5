"""A small world for controller tests: FakeKube, in-memory S3, a fixed clock, recorded metrics.

``World.policy()`` stores a BackupPolicy and its Secrets; ``World.tick()`` runs one reconcile
at the world's clock; ``World.finish_job()`` plays the Job controller and kubelet (a Job
condition and a pod termination message carrying an ``AgentResult``).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from strongroom.agent.report import AgentResult
from strongroom.api.policy import BackupPolicySpec
from strongroom.config import OperatorConfig
from strongroom.controller.reconcile import Outcome, reconcile
from strongroom.controller.runtime import Runtime
from strongroom.crypto.header import Header
from strongroom.crypto.manifest import Manifest, seal, to_json
from strongroom.crypto.wrapping import WrappedKey
from strongroom.kube.base import BACKUP_POLICIES, BACKUPS, JOBS, PODS, SECRETS
from strongroom.kube.fake import FakeKube
from strongroom.storage.base import ObjectStore
from strongroom.storage.fake import InMemoryObjectStore

NS = "shop"
POLICY = "orders"
START = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)


def policy_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "database": {
            "engine": "postgresql",
            "host": "db.shop.svc",
            "database": "shop",
            "credentialsSecretRef": {"name": "db-login"},
            "tls": {"mode": "disable"},
        },
        "schedule": {"cron": "* * * * *"},
        "retention": {"keepLast": 2},
        "encryption": {"keyRingSecretRef": {"name": "orders-keyring"}},
        "storage": {
            "bucket": "backups",
            "prefix": "prod",
            "region": "eu-central-1",
            "endpoint": "http://127.0.0.1:9000",
            "forcePathStyle": True,
            "credentialsSecretRef": {"name": "s3-login"},
        },
        "objectives": {"rpo": "10m"},
    }
    spec.update(overrides)
    BackupPolicySpec.model_validate(spec)
    return spec


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class Metrics:
    def __init__(self) -> None:
        self.snapshots: dict[tuple[str, str], Any] = {}
        self.runs: list[tuple[str, str, str, float]] = []
        self.errors: list[str] = []
        self.forgotten: list[tuple[str, str]] = []
        self.resident: dict[tuple[str, str], bool | None] = {}
        self.unprotected: dict[str, int] | None = None

    def observe_policy(self, namespace: str, name: str, snapshot: Any) -> None:
        self.snapshots[(namespace, name)] = snapshot

    def forget_policy(self, namespace: str, name: str) -> None:
        self.forgotten.append((namespace, name))

    def record_backup_run(
        self,
        namespace: str,
        policy: str,
        result: Any,
        duration_seconds: float,
        size_bytes: int | None = None,
    ) -> None:
        del size_bytes
        self.runs.append((namespace, policy, result, duration_seconds))

    def record_verification_run(
        self, namespace: str, policy: str, result: Any, duration_seconds: float
    ) -> None:
        pass

    def observe_residency(self, namespace: str, policy: str, resident: bool | None) -> None:
        self.resident[(namespace, policy)] = resident

    def observe_unprotected(self, namespace_counts: Mapping[str, int]) -> None:
        self.unprotected = dict(namespace_counts)

    def record_reconcile_error(self, kind: str) -> None:
        self.errors.append(kind)


@dataclass
class World:
    kube: FakeKube = field(default_factory=FakeKube)
    store: InMemoryObjectStore = field(default_factory=lambda: InMemoryObjectStore("backups"))
    metrics: Metrics = field(default_factory=Metrics)
    now: datetime = START
    rt: Runtime = field(init=False)

    def __post_init__(self) -> None:
        async def stores(namespace: str, spec: BackupPolicySpec) -> ObjectStore:
            return self.store

        self.rt = Runtime(
            config=OperatorConfig(
                agent_image="strongroom:test", job_service_account="strongroom-job"
            ),
            kube=self.kube,
            stores=stores,
            metrics=self.metrics,
            clock=lambda: self.now,
            monotonic=lambda: self.now.timestamp(),  # noqa: PLW0108 - reads the current clock
        )

    def secrets(self) -> None:
        self.kube.put(
            SECRETS,
            NS,
            {
                "metadata": {"name": "db-login"},
                "data": {"username": _b64("backup"), "password": _b64("pw")},
            },
        )
        self.kube.put(
            SECRETS,
            NS,
            {
                "metadata": {"name": "s3-login"},
                "data": {"accessKeyId": _b64("AK"), "secretAccessKey": _b64("SK")},
            },
        )

    def policy(
        self, *, secrets: bool = True, created: datetime | None = None, **spec: Any
    ) -> dict[str, Any]:
        if secrets:
            self.secrets()
        stamp = (created or self.now - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.kube.put(
            BACKUP_POLICIES,
            NS,
            {"metadata": {"name": POLICY, "creationTimestamp": stamp}, "spec": policy_spec(**spec)},
        )

    def body(self) -> dict[str, Any]:
        found = self.kube.objects[(BACKUP_POLICIES.plural, NS, POLICY)]
        return dict(found)

    async def tick(self, *, force: bool = False) -> Outcome:
        return await reconcile(self.rt, self.body(), force=force)

    def backups(self) -> list[dict[str, Any]]:
        return self.kube.stored(BACKUPS, NS)

    def jobs(self) -> list[dict[str, Any]]:
        return self.kube.stored(JOBS, NS)

    def status(self) -> dict[str, Any]:
        return self.body().get("status") or {}

    def condition(self, kind: str) -> dict[str, Any]:
        return next(c for c in self.status().get("conditions", []) if c["type"] == kind)

    def finish_job(self, job: str, result: AgentResult | None, *, complete: bool = True) -> None:
        obj = self.kube.objects[(JOBS.plural, NS, job)]
        stamp = self.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        obj["status"] = {
            "conditions": [
                {
                    "type": "Complete" if complete else "Failed",
                    "status": "True",
                    "reason": "" if complete else "BackoffLimitExceeded",
                }
            ],
            "completionTime": stamp,
        }
        message = result.to_compact_json() if result else ""
        self.kube.put(
            PODS,
            NS,
            {
                "metadata": {
                    "name": f"{job}-abcde",
                    "labels": {"batch.kubernetes.io/job-name": job},
                },
                "status": {
                    "containerStatuses": [
                        {
                            "name": "agent",
                            "state": {
                                "terminated": {
                                    "exitCode": 0 if complete else 1,
                                    "message": message,
                                    "finishedAt": stamp,
                                }
                            },
                        }
                    ]
                },
            },
        )
        if (
            result is not None
            and result.outcome == "succeeded"
            and result.data_key
            and result.manifest_key
        ):
            self.store.put_bytes(result.data_key, b"ciphertext")
            self.store.put_bytes(result.manifest_key, self.sealed_manifest(job, result))

    def sealed_manifest(self, job: str, result: AgentResult) -> bytes:
        """A real manifest sealed with the run's data key, as the agent would write it."""
        secret = self.kube.objects[(SECRETS.plural, NS, f"{job}-key")]
        dek = base64.b64decode(secret["data"]["dek"])
        spec = json.loads(base64.b64decode(secret["data"]["job.json"]))
        ident = spec["identity"]
        header = Header(
            namespace=ident["namespace"],
            policy=ident["policy"],
            backup=ident["backup"],
            database="shop",
            engine="postgresql",
            created=self.now,
        )
        manifest = Manifest(
            header=header,
            data_key=result.data_key or "",
            data_size=10,
            data_sha256="ab" * 32,
            plaintext_size=10,
            server_version="16",
            created=self.now,
            wrapped_keys=tuple(WrappedKey.from_dict(w) for w in spec["wrappedKeys"]),
        )
        return to_json(seal(manifest, dek))


def succeeded(backup: str, *, prefix: str = "prod") -> AgentResult:
    folder = f"{prefix}/{NS}/{POLICY}/{backup}"
    return AgentResult(
        role="backup",
        outcome="succeeded",
        message=f"backup {backup} complete",
        data_key=f"{folder}/data.sr",
        manifest_key=f"{folder}/manifest.json",
        data_size=1234,
        plaintext_size=5000,
        data_sha256="ab" * 32,
        tables=7,
        total_seconds=3.5,
    )


def failed(
    reason: str = "DatabaseToolFailed",
    message: str = "pg_dump: authentication failed for user backup",
) -> AgentResult:
    return AgentResult(role="backup", outcome="failed", reason=reason, message=message)
