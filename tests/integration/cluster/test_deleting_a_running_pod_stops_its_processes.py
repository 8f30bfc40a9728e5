"""Deleting a running Job pod stops its whole process group, even a process that ignores SIGTERM."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply, job_manifest, job_pods, wait_for, wait_for_gone

# The shell and its child both ignore SIGTERM, so only the SIGKILL after the grace period stops
# them. "$$$$" because Kubernetes turns "$$" in a command into "$" ($(VAR) escaping).
STUBBORN = "trap '' TERM; sleep 600 & echo child=$!; echo shell=$$$$; wait"


def pids_in(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"(?:child|shell)=(\d+)", text)]


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (a dead process waiting for its reaper)."""
    try:
        os.kill(pid, 0)
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_deleting_a_running_pod_kills_its_processes(cluster: LocalCluster, namespace: str) -> None:
    # Given a Job whose pod runs a process tree that ignores SIGTERM
    job = job_manifest(
        "sleeper", command=["sh", "-c", STUBBORN], pod={"terminationGracePeriodSeconds": 2}
    )
    apply(cluster, job, namespace=namespace)
    assert cluster.kubelet is not None
    deadline = time.monotonic() + 60
    pods = []
    while time.monotonic() < deadline and not pods:
        pods = [
            p
            for p in job_pods(cluster, "sleeper", namespace=namespace)
            if p.get("status", {}).get("phase") == "Running"
        ]
        time.sleep(0.5)
    assert pods, "the Job's pod never reached Running"
    name = pods[0]["metadata"]["name"]
    log = cluster.kubelet.log_path(namespace, name, "main")
    wait_for(
        cluster,
        "pod",
        name,
        lambda _p: len(pids_in(log.read_text())) == 2,
        namespace=namespace,
        timeout=30,
        what="both pids logged",
    )
    pids = pids_in(log.read_text())
    assert all(alive(pid) for pid in pids)

    # When the pod is deleted
    started = time.monotonic()
    cluster.kubectl("delete", "pod", name, "-n", namespace, "--wait=false")

    # Then the pod object goes away only after its processes are gone
    wait_for_gone(cluster, "pod", name, namespace=namespace, timeout=60)
    assert not [pid for pid in pids if alive(pid)]
    # ...and SIGTERM alone was not enough: the grace period was waited out before SIGKILL
    assert time.monotonic() - started >= 1.5


def test_deleting_a_namespace_stops_its_pods(
    cluster: LocalCluster, namespace_factory: Callable[..., str]
) -> None:
    # Given a pod running in a namespace of its own
    ns = namespace_factory("gone")
    apply(
        cluster,
        job_manifest(
            "sleeper",
            command=["sh", "-c", "echo shell=$$$$; exec sleep 600"],
            pod={"terminationGracePeriodSeconds": 0},
        ),
        namespace=ns,
    )
    assert cluster.kubelet is not None
    deadline = time.monotonic() + 60
    pids: list[int] = []
    while time.monotonic() < deadline and not pids:
        pods = job_pods(cluster, "sleeper", namespace=ns)
        if pods and cluster.kubelet.log_path(ns, pods[0]["metadata"]["name"], "main").exists():
            pids = pids_in(
                cluster.kubelet.log_path(ns, pods[0]["metadata"]["name"], "main").read_text()
            )
        time.sleep(0.5)
    assert pids
    assert alive(pids[0])

    # When the namespace is deleted, the namespace controller deletes the pod; the kubelet stops it
    cluster.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=90s", timeout=120)

    # Then the process is gone
    assert not alive(pids[0])
