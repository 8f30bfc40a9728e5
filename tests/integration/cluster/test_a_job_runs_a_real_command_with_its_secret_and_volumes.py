"""A Job's pod really runs: env from a Secret, files from a mounted Secret, an emptyDir, output."""

from __future__ import annotations

from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply, given_secret, job_manifest, job_pods, wait_for_condition

SCRIPT = """
set -eu
echo "written by $POD_NAME" > /scratch/note
echo "env password: $DB_PASSWORD"
echo "file user: $(cat /etc/db/username)"
echo "note: $(cat /scratch/note)"
echo "greeting: $GREETING"
echo "uid: $(id -u) groups: $(id -G)"
printf '{"result":"ok"}' > /dev/termination-log
"""


def test_a_job_reaches_complete_and_its_output_is_real(
    cluster: LocalCluster, namespace: str
) -> None:
    # Given a Secret with database credentials
    given_secret(
        cluster, "db", {"username": "alice", "password": "s3cret-value"}, namespace=namespace
    )

    # When a Job reads it from an env var and from a mounted volume, and writes into an emptyDir
    job = job_manifest(
        "reader",
        command=["sh", "-c", SCRIPT],
        container={
            "env": [
                {
                    "name": "DB_PASSWORD",
                    "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}},
                },
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "WHO", "value": "world"},
                {"name": "GREETING", "value": "hello $(WHO)"},
            ],
            "volumeMounts": [
                {"name": "db", "mountPath": "/etc/db", "readOnly": True},
                {"name": "scratch", "mountPath": "/scratch"},
            ],
        },
        pod={
            "securityContext": {
                "runAsUser": 1000,
                "runAsGroup": 1000,
                "fsGroup": 2000,
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumes": [
                {"name": "db", "secret": {"secretName": "db", "defaultMode": 0o440}},
                {"name": "scratch", "emptyDir": {}},
            ],
        },
    )
    apply(cluster, job, namespace=namespace)

    # Then the real Job controller marks it Complete
    done = wait_for_condition(cluster, "job", "reader", "Complete", namespace=namespace, timeout=60)
    assert done["status"]["succeeded"] == 1

    # And the pod ran the command with the resolved values, as the pod's own user
    (pod,) = job_pods(cluster, "reader", namespace=namespace)
    name = pod["metadata"]["name"]
    assert cluster.kubelet is not None
    output = cluster.kubelet.log_path(namespace, name, "main").read_text()
    assert "env password: s3cret-value" in output
    assert "file user: alice" in output
    assert f"note: written by {name}" in output
    assert "greeting: hello world" in output
    assert "uid: 1000 groups: 1000 2000" in output

    # And the termination message is in the container's terminated state, as the operator expects
    assert pod["status"]["phase"] == "Succeeded"
    terminated = pod["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 0
    assert terminated["reason"] == "Completed"
    assert terminated["message"] == '{"result":"ok"}'
