"""Every Job pod is Pod Security "restricted", has no API token, and gets secrets only as files.

No ``env`` entry can carry a secret because there is no ``env`` at all; every Secret arrives
as a read-only volume of named keys; the key-encryption key's Secret is never mounted.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_jobs_match_their_golden_files import built

from strongroom.manifests.jobs import RUN_AS
from strongroom.manifests.labels import JobRole


@pytest.mark.parametrize("role", list(JobRole), ids=lambda r: r.value)
def test_the_pod_runs_restricted_without_a_token(role: JobRole) -> None:
    pod = built(role)["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["serviceAccountName"] == "strongroom-job"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (container,) = pod["containers"]
    ctx = container["securityContext"]
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["readOnlyRootFilesystem"] is True
    assert ctx["runAsUser"] == RUN_AS
    assert container["terminationMessagePolicy"] == "File"
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


@pytest.mark.parametrize("role", list(JobRole), ids=lambda r: r.value)
def test_secrets_arrive_only_as_read_only_files(role: JobRole) -> None:
    pod = built(role)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert "env" not in container
    assert "envFrom" not in container
    secret_volumes = {v["name"]: v["secret"] for v in pod["volumes"] if "secret" in v}
    assert "job" in secret_volumes
    for volume in secret_volumes.values():
        assert volume["items"], "every Secret volume names its keys"
        assert volume["defaultMode"] & 0o007 == 0, "never world-readable"
    mounts: dict[str, Any] = {m["name"]: m for m in container["volumeMounts"]}
    for name in secret_volumes:
        assert mounts[name]["readOnly"] is True
    assert "orders-keyring" not in {v["secretName"] for v in secret_volumes.values()}


def test_evictions_do_not_burn_retries_and_a_refused_job_file_fails_at_once() -> None:
    rules = built(JobRole.BACKUP)["spec"]["podFailurePolicy"]["rules"]
    assert {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]} in rules
    assert any(r["action"] == "FailJob" and r["onExitCodes"]["values"] == [2] for r in rules)


def test_the_job_is_owned_by_its_backup_and_named_for_it() -> None:
    job = built(JobRole.BACKUP)
    assert job["metadata"]["name"] == "orders-202605010100-backup"
    (owner,) = job["metadata"]["ownerReferences"]
    assert owner["kind"] == "Backup"
    assert owner["controller"] is True
    assert job["metadata"]["labels"]["strongroom.dev/policy"] == "orders"
