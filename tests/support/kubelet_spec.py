"""What a process-kubelet container gets: its environment and its volumes, as the kubelet does.

Environment: ``envFrom`` first, then ``env`` in order, each value expanded with ``$(VAR)``
against what came before (``$$`` escapes), ``secretKeyRef``/``configMapKeyRef``/``fieldRef``
resolved through the API. Volumes: ``secret``, ``configMap``, ``emptyDir``, ``downwardAPI``,
``projected`` (secret, configMap, downwardAPI, serviceAccountToken via the TokenRequest API)
and ``hostPath`` are written into directories on the host, honouring ``items``, ``mode``,
``defaultMode`` and ``fsGroup``; anything else is a mount failure that names the volume.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tests.support.kubeapi import ApiError, KubeAPI

_VAR = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.\-]*)\)")


class NotReady(Exception):  # noqa: N818 - a state, like the kubelet's reasons
    """The container cannot be created yet; ``reason`` is the Waiting reason to report."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def expand(text: str, env: Mapping[str, str]) -> str:
    """Expand ``$(VAR)`` from ``env`` like Kubernetes: unknown names stay, ``$$`` is ``$``."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _VAR.sub(replace, text)


def field_value(pod: Mapping[str, Any], path: str) -> str:
    """The value of a downward-API ``fieldPath`` for ``pod``."""
    meta, spec, status = pod["metadata"], pod["spec"], pod.get("status", {})
    simple = {
        "metadata.name": meta["name"],
        "metadata.namespace": meta["namespace"],
        "metadata.uid": meta["uid"],
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": status.get("podIP", "127.0.0.1"),
        "status.hostIP": status.get("hostIP", "127.0.0.1"),
        "status.podIPs": status.get("podIP", "127.0.0.1"),
        "status.hostIPs": status.get("hostIP", "127.0.0.1"),
    }
    if path in simple:
        return str(simple[path])
    for field in ("labels", "annotations"):
        values: Mapping[str, str] = meta.get(field) or {}
        if path == f"metadata.{field}":
            return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
        match = re.fullmatch(rf"metadata\.{field}\['(.+)'\]", path)
        if match:
            return values.get(match.group(1), "")
    raise NotReady("CreateContainerConfigError", f"unsupported fieldPath {path!r}")


class Resolver:
    """Reads Secrets and ConfigMaps of one namespace, caching them for one pod start."""

    def __init__(self, api: KubeAPI, namespace: str) -> None:
        self.api = api
        self.namespace = namespace
        self._cache: dict[tuple[str, str], dict[str, bytes] | None] = {}

    def data(self, kind: str, name: str) -> dict[str, bytes] | None:
        """Decoded data of Secret/ConfigMap ``name``, or None when it does not exist."""
        if (kind, name) not in self._cache:
            plural = "secrets" if kind == "Secret" else "configmaps"
            try:
                obj = self.api.get(f"/api/v1/namespaces/{self.namespace}/{plural}/{name}")
            except ApiError as exc:
                if exc.status != 404:
                    raise
                self._cache[kind, name] = None
            else:
                decoded = {k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()}
                if kind == "Secret":
                    decoded |= {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
                else:
                    decoded |= {k: v.encode() for k, v in (obj.get("data") or {}).items()}
                self._cache[kind, name] = decoded
        return self._cache[kind, name]

    def key(self, kind: str, ref: Mapping[str, Any]) -> str | None:
        """Resolve a ``secretKeyRef``/``configMapKeyRef``; None if optional and absent."""
        data = self.data(kind, ref["name"])
        optional = bool(ref.get("optional"))
        if data is None:
            if optional:
                return None
            raise NotReady(
                "CreateContainerConfigError", f'{kind.lower()} "{ref["name"]}" not found'
            )
        if ref["key"] not in data:
            if optional:
                return None
            raise NotReady(
                "CreateContainerConfigError",
                f"couldn't find key {ref['key']} in {kind} {self.namespace}/{ref['name']}",
            )
        return data[ref["key"]].decode()


def container_env(
    pod: Mapping[str, Any], container: Mapping[str, Any], resolver: Resolver
) -> dict[str, str]:
    """The container's environment from ``envFrom`` and ``env`` (image defaults not included)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        kind, ref = (
            ("Secret", source["secretRef"])
            if "secretRef" in source
            else ("ConfigMap", source["configMapRef"])
        )
        data = resolver.data(kind, ref["name"])
        if data is None:
            if ref.get("optional"):
                continue
            raise NotReady(
                "CreateContainerConfigError", f'{kind.lower()} "{ref["name"]}" not found'
            )
        env |= {source.get("prefix", "") + k: v.decode() for k, v in data.items()}
    for var in container.get("env") or []:
        value_from = var.get("valueFrom")
        if value_from is None:
            env[var["name"]] = expand(var.get("value", ""), env)
            continue
        value: str | None
        if "secretKeyRef" in value_from:
            value = resolver.key("Secret", value_from["secretKeyRef"])
        elif "configMapKeyRef" in value_from:
            value = resolver.key("ConfigMap", value_from["configMapKeyRef"])
        elif "fieldRef" in value_from:
            value = field_value(pod, value_from["fieldRef"]["fieldPath"])
        else:
            value = "0"  # resourceFieldRef: no resource accounting here
        if value is not None:
            env[var["name"]] = value
    return env


def _write(root: Path, rel: str, content: bytes, mode: int, fs_group: int | None) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        (root / parent).chmod(0o755)
    path.write_bytes(content)
    if fs_group is not None:
        os.chown(path, -1, fs_group)
        mode |= 0o440
    path.chmod(mode)


def _keyed(
    data: Mapping[str, bytes], items: list[dict[str, Any]] | None, default_mode: int
) -> list[tuple[str, bytes, int]]:
    if not items:
        return [(k, v, default_mode) for k, v in data.items()]
    missing = [i["key"] for i in items if i["key"] not in data]
    if missing:
        raise NotReady("ContainerCreating", f"MountVolume.SetUp failed: keys {missing} not found")
    return [(i["path"], data[i["key"]], i.get("mode", default_mode)) for i in items]


def materialise(  # noqa: PLR0912 - one branch per volume kind, as in the kubelet
    pod: Mapping[str, Any],
    volume: Mapping[str, Any],
    root: Path,
    *,
    resolver: Resolver,
    fs_group: int | None,
    token: Callable[[Mapping[str, Any]], str],
) -> Path:
    """Write one volume under ``root``; return the host directory to bind-mount."""
    name = volume["name"]
    if "hostPath" in volume:
        return Path(volume["hostPath"]["path"])
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    if "emptyDir" in volume:
        root.chmod(0o777)
        if fs_group is not None:
            os.chown(root, -1, fs_group)
            root.chmod(0o2777)
        return root
    if "projected" in volume:
        sources, default_mode = (
            volume["projected"].get("sources") or [],
            volume["projected"].get("defaultMode", 0o644),
        )
    elif any(kind in volume for kind in ("secret", "configMap", "downwardAPI")):
        kind = next(k for k in ("secret", "configMap", "downwardAPI") if k in volume)
        sources, default_mode = [{kind: volume[kind]}], volume[kind].get("defaultMode", 0o644)
    else:
        raise NotReady(
            "ContainerCreating",
            f"volume {name!r}: the process kubelet supports secret, configMap, emptyDir, "
            "downwardAPI, projected and hostPath volumes only",
        )
    files: list[tuple[str, bytes, int]] = []
    for source in sources:
        if "secret" in source or "configMap" in source:
            kind = "Secret" if "secret" in source else "ConfigMap"
            spec = source["secret" if kind == "Secret" else "configMap"]
            ref_name = spec.get("secretName") or spec.get("name")
            data = resolver.data(kind, ref_name)
            if data is None:
                if spec.get("optional"):
                    continue
                raise NotReady(
                    "ContainerCreating",
                    f'MountVolume.SetUp failed for volume "{name}": '
                    f'{kind.lower()} "{ref_name}" not found',
                )
            files += _keyed(data, spec.get("items"), default_mode)
        elif "downwardAPI" in source:
            for item in source["downwardAPI"].get("items") or []:
                value = (
                    field_value(pod, item["fieldRef"]["fieldPath"]) if "fieldRef" in item else "0"
                )
                files.append((item["path"], value.encode(), item.get("mode", default_mode)))
        elif "serviceAccountToken" in source:
            files.append(
                (
                    source["serviceAccountToken"]["path"],
                    token(source["serviceAccountToken"]).encode(),
                    default_mode,
                )
            )
    for rel, content, mode in files:
        _write(root, rel, content, mode, fs_group)
    return root
