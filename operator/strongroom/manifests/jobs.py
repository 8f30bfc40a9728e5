"""The one Job builder: backup, verify and restore Jobs from (policy, backup, JobRole).

Modelled on CloudNativePG's ``CreatePrimaryJob(role …)`` and K8up's ``MutateBatchJob``: every
Job Strongroom runs comes from :func:`build_job`, so the restricted security settings are set
once, here, and a golden-file test (``tests/data/{input,output}``) pins the result.

What every Job gets, and why:

* Pod Security "restricted": non-root uid 65532, no privilege escalation, every capability
  dropped, seccomp RuntimeDefault, read-only root filesystem, an ``emptyDir`` on ``/tmp``.
* No Kubernetes API access: a no-rights ServiceAccount and ``automountServiceAccountToken:
  false`` — a compromised Job cannot list Secrets.
* Secrets only as files (RELIABILITY "security baseline"): the database password, the S3 keys
  and CA bundles are projected from the user's Secrets by key; the job file and this backup's
  data key come from the per-Job Secret (:mod:`strongroom.manifests.secrets`). No ``env``
  entry ever carries a secret; there is no ``env`` at all.
* ``podFailurePolicy``: an eviction or preemption (``DisruptionTarget``) does not burn a retry
  (F2); exit code 2 (job file refused) fails the Job at once, since a retry cannot help.
* ``terminationMessagePolicy: File``: the agent's result (``AgentResult``) is read back from the
  pod's termination message.
* A verify Job without a named scratch server gets a scratch database as a native sidecar (an
  init container with ``restartPolicy: Always``, stopped when the agent ends): the official
  image of the source's kind and version, restricted like the agent, data in an ``emptyDir``,
  no network listener — the agent reaches it over a Unix socket in a shared ``emptyDir``, which
  also works where pods share the host network (the test suite's process kubelet).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from strongroom.api.common import Engine
from strongroom.api.policy import BackupPolicySpec, JobTemplateSpec, TLSMode
from strongroom.api.restore import RestoreTarget
from strongroom.manifests.labels import (
    RESTORE,
    JobRole,
    job_labels,
    job_name,
    key_secret_name,
    owner_reference,
)

#: The uid/gid of the image's non-root user (distroless "nonroot").
RUN_AS: Final = 65532
CONTAINER: Final = "agent"
#: Where each kind of file is mounted in the pod; the job file refers to these paths.
JOB_DIR: Final = "/var/run/strongroom/job"
JOB_FILE: Final = f"{JOB_DIR}/job.json"
DEK_FILE: Final = f"{JOB_DIR}/dek"
DB_DIR: Final = "/var/run/strongroom/db"
DB_PASSWORD_FILE: Final = f"{DB_DIR}/password"
DB_CA_DIR: Final = "/var/run/strongroom/db-ca"
DB_CA_FILE: Final = f"{DB_CA_DIR}/ca.crt"
S3_DIR: Final = "/var/run/strongroom/s3"
S3_ACCESS_KEY_FILE: Final = f"{S3_DIR}/access-key-id"
S3_SECRET_KEY_FILE: Final = f"{S3_DIR}/secret-access-key"
S3_CA_DIR: Final = "/var/run/strongroom/s3-ca"
S3_CA_FILE: Final = f"{S3_CA_DIR}/ca.crt"
SCRATCH_DIR: Final = "/var/run/strongroom/scratch"
#: Where the agent sees the scratch sidecar's Unix socket (an emptyDir shared with the sidecar).
SCRATCH_SOCKET_DIR: Final = "/var/run/strongroom/scratch-socket"
SIDECAR: Final = "scratch"
TERMINATION_LOG: Final = "/dev/termination-log"
#: Exit code of the agent when its job file is refused; a retry cannot help.
EXIT_BAD_CONFIG: Final = 2
_SECRET_MODE: Final = 0o440

RESTRICTED_CONTAINER: Final[dict[str, Any]] = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": RUN_AS,
    "runAsGroup": RUN_AS,
    "seccompProfile": {"type": "RuntimeDefault"},
}
RESTRICTED_POD: Final[dict[str, Any]] = {
    "runAsNonRoot": True,
    "runAsUser": RUN_AS,
    "runAsGroup": RUN_AS,
    "fsGroup": RUN_AS,
    "seccompProfile": {"type": "RuntimeDefault"},
}


@dataclass(frozen=True)
class JobSettings:
    """Operator-wide Job defaults (from ``OperatorConfig``); the policy's jobTemplate wins."""

    image: str
    service_account: str
    ttl_seconds_after_finished: int = 3600
    backoff_limit: int = 2
    active_deadline_seconds: int = 6 * 3600
    requests: Mapping[str, str] = field(default_factory=lambda: {"cpu": "100m", "memory": "256Mi"})
    limits: Mapping[str, str] = field(default_factory=lambda: {"memory": "1Gi"})


@dataclass(frozen=True)
class SecretFiles:
    """Keys of one Secret mounted as files: ``items`` maps a Secret key to a file name."""

    volume: str
    secret: str
    items: tuple[tuple[str, str], ...]
    mount_path: str


@dataclass(frozen=True)
class SidecarLayout:
    """How an official database image is run as a socket-only scratch server."""

    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...]
    data_dir: str
    socket_dir: str
    #: The socket as the agent addresses it: a directory (libpq) or the socket file.
    agent_host: str
    port: int
    user: str


SIDECAR_LAYOUTS: Final = {
    Engine.POSTGRESQL: SidecarLayout(
        args=(
            "postgres", "-c", "listen_addresses=", "-c",
            "unix_socket_directories=/var/run/postgresql", "-c", "fsync=off",
        ),
        env=(
            ("PGDATA", "/var/lib/postgresql/data/pgdata"),
            # Trust is safe here: the socket is only in this pod's own emptyDir.
            ("POSTGRES_HOST_AUTH_METHOD", "trust"),
        ),
        data_dir="/var/lib/postgresql/data",
        socket_dir="/var/run/postgresql",
        agent_host=SCRATCH_SOCKET_DIR,
        port=5432,
        user="postgres",
    ),
    Engine.MYSQL: SidecarLayout(
        args=(
            "--skip-networking", "--socket=/run/mysqld/mysqld.sock",
            "--pid-file=/run/mysqld/mysqld.pid",
        ),
        env=(
            ("MARIADB_ALLOW_EMPTY_ROOT_PASSWORD", "1"),
            ("MYSQL_ALLOW_EMPTY_PASSWORD", "yes"),
            ("MARIADB_INITDB_SKIP_TZINFO", "1"),
            ("MYSQL_INITDB_SKIP_TZINFO", "1"),
        ),
        data_dir="/var/lib/mysql",
        socket_dir="/run/mysqld",
        agent_host=f"{SCRATCH_SOCKET_DIR}/mysqld.sock",
        port=3306,
        user="root",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ScratchSidecar:
    """The scratch database of a verify pod: which image, for which engine."""

    image: str
    engine: Engine

    @property
    def layout(self) -> SidecarLayout:
        """Arguments, environment and paths of this engine's image."""
        return SIDECAR_LAYOUTS[self.engine]


def _sidecar_container(sidecar: ScratchSidecar, resources: dict[str, Any]) -> dict[str, Any]:
    layout = sidecar.layout
    return {
        "name": SIDECAR,
        "image": sidecar.image,
        "imagePullPolicy": "IfNotPresent",
        "restartPolicy": "Always",
        "args": list(layout.args),
        "env": [{"name": k, "value": v} for k, v in layout.env],
        "resources": resources,
        "securityContext": copy.deepcopy(RESTRICTED_CONTAINER),
        "volumeMounts": [
            {"name": "scratch-data", "mountPath": layout.data_dir},
            {"name": "scratch-socket", "mountPath": layout.socket_dir},
            {"name": "scratch-tmp", "mountPath": "/tmp"},  # noqa: S108 - an emptyDir, per pod
        ],
    }


def policy_secret_files(spec: BackupPolicySpec, role: JobRole) -> tuple[SecretFiles, ...]:
    """Return the user Secrets a Job of ``role`` needs, as files (never env vars)."""
    files: list[SecretFiles] = []
    storage = spec.storage
    if storage.credentials_secret_ref is not None:
        ref = storage.credentials_secret_ref
        files.append(
            SecretFiles(
                "s3-credentials",
                ref.name,
                (
                    (ref.access_key_id_key, "access-key-id"),
                    (ref.secret_access_key_key, "secret-access-key"),
                ),
                S3_DIR,
            )
        )
    if storage.ca_bundle_secret_ref is not None:
        ca = storage.ca_bundle_secret_ref
        files.append(SecretFiles("s3-ca", ca.name, ((ca.key, "ca.crt"),), S3_CA_DIR))
    if role is JobRole.BACKUP:
        db = spec.database
        creds = db.credentials_secret_ref
        files.append(
            SecretFiles("db-credentials", creds.name, ((creds.password_key, "password"),), DB_DIR)
        )
        if db.tls.mode is not TLSMode.DISABLE and db.tls.ca_secret_ref is not None:
            ca = db.tls.ca_secret_ref
            files.append(SecretFiles("db-ca", ca.name, ((ca.key, "ca.crt"),), DB_CA_DIR))
    if role is JobRole.VERIFY:
        scratch = spec.verification.scratch.server_secret_ref
        if scratch is not None:
            keys = ("host", "port", "username", "password")
            files.append(
                SecretFiles("scratch", scratch.name, tuple((k, k) for k in keys), SCRATCH_DIR)
            )
    return tuple(files)


def _resources(template: JobTemplateSpec | None, settings: JobSettings) -> dict[str, Any]:
    if template is not None and template.resources is not None:
        chosen = template.resources
        return {
            k: dict(v)
            for k, v in (("requests", chosen.requests), ("limits", chosen.limits))
            if v is not None
        }
    return {"requests": dict(settings.requests), "limits": dict(settings.limits)}


def _placement(template: JobTemplateSpec | None) -> dict[str, Any]:
    if template is None:
        return {}
    placement: dict[str, Any] = {}
    if template.node_selector:
        placement["nodeSelector"] = dict(template.node_selector)
    if template.tolerations:
        placement["tolerations"] = [
            t.model_dump(by_alias=True, exclude_none=True) for t in template.tolerations
        ]
    if template.priority_class_name:
        placement["priorityClassName"] = template.priority_class_name
    return placement


def _volumes(secret_name: str, files: tuple[SecretFiles, ...]) -> list[dict[str, Any]]:
    volumes: list[dict[str, Any]] = [
        {
            "name": "job",
            "secret": {
                "secretName": secret_name,
                "defaultMode": _SECRET_MODE,
                "items": [{"key": "job.json", "path": "job.json"}, {"key": "dek", "path": "dek"}],
            },
        }
    ]
    volumes.extend(
        {
            "name": f.volume,
            "secret": {
                "secretName": f.secret,
                "defaultMode": _SECRET_MODE,
                "items": [{"key": key, "path": path} for key, path in f.items],
            },
        }
        for f in files
    )
    volumes.append({"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}})
    return volumes


def _mounts(files: tuple[SecretFiles, ...]) -> list[dict[str, Any]]:
    mounts = [{"name": "job", "mountPath": JOB_DIR, "readOnly": True}]
    mounts.extend({"name": f.volume, "mountPath": f.mount_path, "readOnly": True} for f in files)
    mounts.append({"name": "tmp", "mountPath": "/tmp"})  # noqa: S108 - an emptyDir, per pod
    return mounts


def build_job(
    *,
    spec: BackupPolicySpec,
    policy: str,
    backup: Mapping[str, Any],
    role: JobRole,
    settings: JobSettings,
    extra_files: tuple[SecretFiles, ...] = (),
    sidecar: ScratchSidecar | None = None,
    owner: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the Job of ``role`` for the Backup object ``backup`` of ``policy``.

    Args:
        spec: The policy spec (storage, database, jobTemplate).
        policy: The policy name (labels).
        backup: The Backup object (name, uid, namespace): the Job's owner.
        role: backup, verify or restore.
        settings: Operator-wide image, ServiceAccount and defaults.
        extra_files: More Secret files (a restore target's credentials).
        sidecar: The scratch database of a verify Job without a named scratch server.
        owner: The object the Job works for when it is not the Backup (a Restore): the Job is
            named after it, owned by it and labelled with it.
    """
    meta = backup["metadata"]
    parent = backup if owner is None else owner
    name = job_name(parent["metadata"]["name"], role)
    labels = job_labels(policy, meta["name"], role)
    if owner is not None:
        labels[RESTORE] = owner["metadata"]["name"]
    template = spec.job_template
    files = (*policy_secret_files(spec, role), *extra_files)
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": settings.image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["agent", role.value, "--job", JOB_FILE],
        "resources": _resources(template, settings),
        "securityContext": copy.deepcopy(RESTRICTED_CONTAINER),
        "terminationMessagePath": TERMINATION_LOG,
        "terminationMessagePolicy": "File",
        "volumeMounts": _mounts(files),
    }
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "serviceAccountName": settings.service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": copy.deepcopy(RESTRICTED_POD),
        "containers": [container],
        "volumes": _volumes(key_secret_name(name), files),
        **_placement(template),
    }
    if sidecar is not None:
        pod_spec["initContainers"] = [_sidecar_container(sidecar, _resources(template, settings))]
        pod_spec["volumes"] += [
            {"name": name, "emptyDir": {}}
            for name in ("scratch-data", "scratch-socket", "scratch-tmp")
        ]
        container["volumeMounts"].append(
            {"name": "scratch-socket", "mountPath": SCRATCH_SOCKET_DIR}
        )
    backoff = settings.backoff_limit
    deadline = settings.active_deadline_seconds
    if template is not None:
        backoff = template.backoff_limit if template.backoff_limit is not None else backoff
        deadline = template.active_deadline_seconds or deadline
    if role is JobRole.RESTORE:
        backoff = 0  # a second attempt would meet a half-written target; a person decides
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(parent)],
        },
        "spec": {
            "backoffLimit": backoff,
            "activeDeadlineSeconds": deadline,
            "ttlSecondsAfterFinished": settings.ttl_seconds_after_finished,
            "podFailurePolicy": {
                "rules": [
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                    {
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": CONTAINER,
                            "operator": "In",
                            "values": [EXIT_BAD_CONFIG],
                        },
                    },
                ]
            },
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec},
        },
    }


#: Where a restore Job finds the target's password and CA bundle.
TARGET_DIR: Final = "/var/run/strongroom/target"
TARGET_PASSWORD_FILE: Final = f"{TARGET_DIR}/password"
TARGET_CA_DIR: Final = "/var/run/strongroom/target-ca"
TARGET_CA_FILE: Final = f"{TARGET_CA_DIR}/ca.crt"


def restore_target_files(target: RestoreTarget) -> tuple[SecretFiles, ...]:
    """Return the restore target's Secrets as files: its password, and its CA when verified."""
    creds = target.credentials_secret_ref
    files = [
        SecretFiles(
            "target-credentials", creds.name, ((creds.password_key, "password"),), TARGET_DIR
        )
    ]
    if target.tls.mode is not TLSMode.DISABLE and target.tls.ca_secret_ref is not None:
        ca = target.tls.ca_secret_ref
        files.append(SecretFiles("target-ca", ca.name, ((ca.key, "ca.crt"),), TARGET_CA_DIR))
    return tuple(files)
