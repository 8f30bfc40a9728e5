"""How the process kubelet turns one container spec into a command line and an environment.

Kubernetes' rules, applied to local processes: ``command``/``args`` override the image's
ENTRYPOINT/CMD and are expanded with ``$(VAR)``; the pod's and container's securityContext pick
the uid, gid and groups (``runAsNonRoot`` with a root user is refused, as the kubelet does);
volumes are bind-mounted at their ``mountPath`` (``subPath`` and ``readOnly`` included) and the
termination-message file at ``terminationMessagePath``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.support.kubeapi import ApiError, KubeAPI
from tests.support.kubelet_containers import Container
from tests.support.kubelet_images import ImageEntry
from tests.support.kubelet_sandbox import Identity, Mount, bwrap_argv
from tests.support.kubelet_spec import NotReady, expand

_SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def identity(pod_spec: Mapping[str, Any], spec: Mapping[str, Any], entry: ImageEntry) -> Identity:
    """The uid/gid/groups the container runs as, from the securityContexts and the image."""
    pod_ctx = pod_spec.get("securityContext") or {}
    ctx = {**pod_ctx, **(spec.get("securityContext") or {})}
    uid = ctx.get("runAsUser", entry.user)
    if ctx.get("runAsNonRoot") and not uid:
        raise NotReady(
            "CreateContainerConfigError", "container has runAsNonRoot and image will run as root"
        )
    groups = [pod_ctx.get("fsGroup"), *(pod_ctx.get("supplementalGroups") or [])]
    return Identity(
        uid, ctx.get("runAsGroup", uid or None), tuple(g for g in groups if g is not None)
    )


def command_line(spec: Mapping[str, Any], entry: ImageEntry, env: Mapping[str, str]) -> list[str]:
    """``command``/``args`` over the image's ENTRYPOINT/CMD, with ``$(VAR)`` expanded."""
    command, args = spec.get("command"), spec.get("args")
    if command:
        argv = [*command, *(args or [])]
    else:
        argv = [*entry.entrypoint, *(args if args is not None else entry.cmd)]
    if not argv:
        raise NotReady(
            "CreateContainerError", f"image {spec.get('image')!r} has no entrypoint; set command"
        )
    return [expand(a, env) for a in argv]


def mounts(container: Container, volumes: Mapping[str, Path]) -> list[Mount]:
    """The container's volume mounts plus its private termination-message file."""
    result = []
    for mount in container.spec.get("volumeMounts") or []:
        source = volumes[mount["name"]]
        if mount.get("subPath"):
            source /= mount["subPath"]
        result.append(Mount(str(source), mount["mountPath"], bool(mount.get("readOnly"))))
    path = container.spec.get("terminationMessagePath", "/dev/termination-log")
    result.append(Mount(str(container.termination_file), path))
    return result


def launch(
    pod: Mapping[str, Any],
    container: Container,
    entry: ImageEntry,
    volumes: Mapping[str, Path],
    *,
    env: Mapping[str, str],
) -> tuple[list[str], dict[str, str]]:
    """The full sandboxed command line and environment for ``container``."""
    name = pod["metadata"]["name"]
    full_env = {
        "PATH": ":".join([*entry.path_prefix, _SYSTEM_PATH]),
        "HOSTNAME": name,
        "HOME": "/",
        **dict(entry.env),
        **env,
    }
    argv = bwrap_argv(
        command_line(container.spec, entry, full_env),
        mounts=mounts(container, volumes),
        workdir=container.spec.get("workingDir", "/"),
        hostname=name[:63],
        identity=identity(pod["spec"], container.spec, entry),
        reveal=entry.reveal,
    )
    return argv, full_env


def service_account_token(api: KubeAPI, pod: Mapping[str, Any], source: Mapping[str, Any]) -> str:
    """A token bound to ``pod`` from the TokenRequest API, for a projected volume."""
    meta = pod["metadata"]
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenRequest",
        "spec": {
            "audiences": [source["audience"]] if source.get("audience") else None,
            "expirationSeconds": source.get("expirationSeconds", 3600),
            "boundObjectRef": {
                "apiVersion": "v1",
                "kind": "Pod",
                "name": meta["name"],
                "uid": meta["uid"],
            },
        },
    }
    account = pod["spec"].get("serviceAccountName", "default")
    path = f"/api/v1/namespaces/{meta['namespace']}/serviceaccounts/{account}/token"
    try:
        answer = api.request("POST", path, body)
    except ApiError as exc:
        raise NotReady("ContainerCreating", f"token for ServiceAccount {account}: {exc}") from exc
    return str(answer["status"]["token"])
