"""Steps of the compliance stories: verdicts as exported, the audit trail as an auditor reads it
from the bucket, and every secret value a trail must never contain."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

from steps import event_messages, s3_get, s3_keys
from tests.integration.report.s3_steps import store_for
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.s3 import S3Server

from strongroom.audit.record import AuditRecord
from strongroom.audit.sink import read_trail


def same_verdict(exported: float | None, status: str) -> bool:
    """Whether a ``strongroom_policy_compliant`` value says what a report check status says."""
    if exported is None:
        return False
    if math.isnan(exported):
        return status == "Unknown"
    return exported == {"True": 1.0, "False": 0.0}.get(status)


def audit_trail(
    s3: S3Server, bucket: str, scratch: Path, *, namespace: str, prefix: str = "e2e"
) -> list[AuditRecord]:
    """The audit records of ``namespace`` read back from the bucket, oldest first."""
    return read_trail(store_for(s3, bucket, scratch), prefix, namespace=namespace)


def audit_objects(s3: S3Server, bucket: str, *, namespace: str, prefix: str = "e2e") -> list[bytes]:
    """The raw bytes of every audit object of ``namespace`` (what leaks would be in)."""
    keys = s3_keys(s3, bucket, f"{prefix}/audit/{namespace}/")
    return [s3_get(s3, bucket, key) for key in keys]


def secret_values(cluster: LocalCluster, namespace: str) -> list[str]:
    """Every value of every Secret in ``namespace``, decoded and as stored (base64).

    Short values (a two-letter user name) are left out: they would match by chance.
    """
    out = cluster.kubectl("get", "secrets", "-n", namespace, "-o", "json").stdout
    found: list[str] = []
    for secret in json.loads(out)["items"]:
        for encoded in (secret.get("data") or {}).values():
            found.append(encoded)
            raw = base64.b64decode(encoded)
            found.append(raw.decode(errors="replace"))
            found.append(raw.hex())
    return [value.strip() for value in found if len(value.strip()) >= 8]


#: Secret data keys holding passwords or key bytes (user names, hosts and ids are not secret).
_MATERIAL = re.compile(r"pass|secret|token|^kek-v\d+$|^dek$", re.IGNORECASE)


def secret_material(cluster: LocalCluster, namespace: str) -> list[str]:
    """The passwords and key bytes held in ``namespace``'s Secrets: decoded, base64 and hex."""
    out = cluster.kubectl("get", "secrets", "-n", namespace, "-o", "json").stdout
    found: list[str] = []
    for secret in json.loads(out)["items"]:
        for key, encoded in (secret.get("data") or {}).items():
            if _MATERIAL.search(key):
                raw = base64.b64decode(encoded)
                found += [encoded, raw.decode(errors="replace"), raw.hex()]
    return [value.strip() for value in found if len(value.strip()) >= 8]


def everything_said(cluster: LocalCluster, namespace: str, operator: OperatorProcess) -> str:
    """What a person or a scraper can read of ``namespace``: the operator's log and metrics,
    Events, the status of every Strongroom object, and the logs of every pod that ran."""
    kinds = "backuppolicies.strongroom.dev,backups.strongroom.dev,restores.strongroom.dev"
    objects = cluster.kubectl("get", kinds, "-n", namespace, "-o", "json").stdout
    pods = sorted((cluster.workdir / "kubelet" / "logs" / namespace).rglob("*.log"))
    return "\n".join(
        [
            operator.logs(),
            operator.metrics(),
            json.dumps(event_messages(cluster, namespace)),
            objects,
            *(log.read_text(errors="replace") for log in pods),
        ]
    )
