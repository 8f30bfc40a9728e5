"""A verify Job without a named scratch server gets its database as a native sidecar: as
restricted as the agent, data on emptyDirs, no network listener, a socket shared with the agent."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from test_jobs_match_their_golden_files import DATA, SETTINGS, built

from strongroom.api.common import Engine
from strongroom.api.policy import BackupPolicySpec
from strongroom.manifests.jobs import (
    CONTAINER,
    RESTRICTED_CONTAINER,
    SCRATCH_SOCKET_DIR,
    SIDECAR,
    ScratchSidecar,
    build_job,
)
from strongroom.manifests.labels import JobRole

IMAGES = {Engine.POSTGRESQL: "postgres:16", Engine.MYSQL: "mariadb:10.11"}


def _pod(engine: Engine) -> dict[str, Any]:
    """The golden verify input for ``engine``, without its named scratch server."""
    raw = yaml.safe_load((DATA / "input" / "verify-job.yaml").read_text())
    raw["spec"]["database"]["engine"] = engine.value
    raw["spec"]["verification"]["scratch"] = {}
    job = build_job(
        spec=BackupPolicySpec.model_validate(raw["spec"]), policy=raw["policy"],
        backup=raw["backup"], role=JobRole.VERIFY, settings=SETTINGS,
        sidecar=ScratchSidecar(IMAGES[engine], engine),
    )  # fmt: skip
    pod: dict[str, Any] = job["spec"]["template"]["spec"]
    return pod


@pytest.mark.parametrize("engine", list(Engine), ids=lambda e: e.value)
def test_the_sidecar_is_native_restricted_and_listens_on_no_port(engine: Engine) -> None:
    pod = _pod(engine)
    (sidecar,) = pod["initContainers"]
    assert sidecar["name"] == SIDECAR
    assert sidecar["image"] == IMAGES[engine]
    assert sidecar["restartPolicy"] == "Always"  # stopped once the agent ends
    assert sidecar["securityContext"] == RESTRICTED_CONTAINER
    assert "ports" not in sidecar
    assert any(a in {"listen_addresses=", "--skip-networking"} for a in sidecar["args"])
    # No secret in env: the only password settings allow an empty one on the private socket.
    assert all("PASSWORD" not in e["name"] or e["value"] in {"1", "yes"} for e in sidecar["env"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in sidecar["volumeMounts"]:
        assert "emptyDir" in volumes[mount["name"]], mount


@pytest.mark.parametrize("engine", list(Engine), ids=lambda e: e.value)
def test_only_the_socket_volume_is_shared_with_the_agent(engine: Engine) -> None:
    pod = _pod(engine)
    (agent,) = [c for c in pod["containers"] if c["name"] == CONTAINER]
    shared = {m["name"] for m in agent["volumeMounts"]} & {
        m["name"] for m in pod["initContainers"][0]["volumeMounts"]
    }
    assert shared == {"scratch-socket"}
    assert {"name": "scratch-socket", "mountPath": SCRATCH_SOCKET_DIR} in agent["volumeMounts"]


def test_without_a_sidecar_the_pod_has_no_init_containers() -> None:
    assert "initContainers" not in built(JobRole.VERIFY)["spec"]["template"]["spec"]
