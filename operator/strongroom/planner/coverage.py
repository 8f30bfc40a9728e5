"""Coverage: databases in the cluster that no BackupPolicy protects.

Why: a compliance report that lists only the policies someone wrote proves nothing about the
database nobody wrote one for. This module looks at Services and StatefulSets for the shapes
PostgreSQL, MySQL and MariaDB usually have — well-known ports (5432, 3306), port names, image
names (official and Bitnami/Percona/PostGIS variants) and the common ``app.kubernetes.io/name``
and ``app`` labels — and subtracts every one a policy's ``spec.database.host`` reaches: the
Service name in the policy's namespace, ``svc.ns``, ``svc.ns.svc``, ``svc.ns.svc.cluster.local``,
or a StatefulSet pod's DNS name under its governing Service. A StatefulSet counts as protected
when a protected Service selects its pods. Objects managed by Strongroom itself (scratch
databases for verification) are skipped.

Pure: raw Kubernetes JSON in (as listed by the API), typed findings out, each with its reason.
The controller can export the counts as ``strongroom_unprotected_databases{namespace}``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

#: The metric the counts are exported as (see :meth:`OperatorMetrics.observe_unprotected`).
COVERAGE_METRIC: Final = "strongroom_unprotected_databases"

_PORTS: Final = {5432: "postgresql", 3306: "mysql"}
_NAMES: Final = {
    "postgres": "postgresql",
    "postgresql": "postgresql",
    "postgresql-ha": "postgresql",
    "postgresql-repmgr": "postgresql",
    "postgis": "postgresql",
    "timescaledb": "postgresql",
    "mysql": "mysql",
    "mysql-server": "mysql",
    "mariadb": "mariadb",
    "mariadb-galera": "mariadb",
    "percona-server": "mysql",
    "percona-xtradb-cluster": "mysql",
}
_LABELS: Final = ("app.kubernetes.io/name", "app", "app.kubernetes.io/component")
_MANAGED_BY: Final = "app.kubernetes.io/managed-by"
_CLUSTER_SUFFIXES: Final = ("", ".svc", ".svc.cluster.local")


@dataclass(frozen=True)
class Unprotected:
    """A database-looking object no policy reaches."""

    kind: str
    namespace: str
    name: str
    engine: str
    reason: str


@dataclass(frozen=True)
class PolicyTarget:
    """Where one BackupPolicy connects: its namespace and ``spec.database.host``."""

    namespace: str
    host: str

    @classmethod
    def of(cls, policy: Mapping[str, Any]) -> PolicyTarget | None:
        """Return the target of a BackupPolicy body, or ``None`` if it names no host."""
        meta = policy.get("metadata") or {}
        host = ((policy.get("spec") or {}).get("database") or {}).get("host")
        if not isinstance(host, str) or not host or not meta.get("namespace"):
            return None
        return cls(str(meta["namespace"]), host.lower().rstrip("."))


def service_names(name: str, namespace: str) -> set[str]:
    """Return the DNS forms of Service ``name`` in ``namespace`` (without the bare name)."""
    return {f"{name}.{namespace}{suffix}" for suffix in _CLUSTER_SUFFIXES}


def reaches_service(target: PolicyTarget, name: str, namespace: str) -> bool:
    """Return whether the policy's host names Service ``namespace/name``."""
    if target.host == name and target.namespace == namespace:
        return True
    return target.host in service_names(name, namespace)


def _reaches_pod_of(target: PolicyTarget, service: str, namespace: str) -> bool:
    """Return whether the host is a pod's name under governing Service ``service``."""
    head, _, rest = target.host.partition(".")
    if not head or not rest:
        return False
    return (rest == service and target.namespace == namespace) or rest in service_names(
        service, namespace
    )


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _engine_from_labels(labels: Mapping[str, str]) -> tuple[str, str] | None:
    for key in _LABELS:
        value = str(labels.get(key, "")).lower()
        if value in _NAMES:
            return _NAMES[value], f"label {key}={value}"
    return None


def _engine_from_ports(ports: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    for port in ports:
        for field in ("port", "containerPort", "targetPort"):
            number = port.get(field)
            if isinstance(number, int) and number in _PORTS:
                return _PORTS[number], f"port {number}"
        name = str(port.get("name", "")).lower()
        for word, engine in _NAMES.items():
            if word in name.split("-"):
                return engine, f"port named {name}"
    return None


def image_engine(image: str) -> str | None:
    """Return the engine an image reference looks like (``bitnami/postgresql:16`` → postgresql)."""
    path = image.split("@", 1)[0]
    last = path.rsplit("/", 1)[-1]
    repo = last.split(":", 1)[0].lower()
    return _NAMES.get(repo)


def _containers(sts: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    pod = ((sts.get("spec") or {}).get("template") or {}).get("spec") or {}
    return [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]


def detect_service(service: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return ``(engine, evidence)`` if the Service looks like a database, else ``None``."""
    spec = service.get("spec") or {}
    return (
        _engine_from_labels(_labels(service))
        or _engine_from_labels(spec.get("selector") or {})
        or _engine_from_ports(spec.get("ports") or [])
    )


def detect_statefulset(sts: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return ``(engine, evidence)`` if the StatefulSet looks like a database, else ``None``."""
    for container in _containers(sts):
        engine = image_engine(str(container.get("image", "")))
        if engine is not None:
            return engine, f"image {container.get('image')}"
    template = ((sts.get("spec") or {}).get("template") or {}).get("metadata") or {}
    found = _engine_from_labels(_labels(sts)) or _engine_from_labels(template.get("labels") or {})
    if found is not None:
        return found
    ports = [p for c in _containers(sts) for p in c.get("ports") or []]
    return _engine_from_ports(ports)


def _ours(obj: Mapping[str, Any]) -> bool:
    return _labels(obj).get(_MANAGED_BY) == "strongroom"


def _selects(service: Mapping[str, Any], sts: Mapping[str, Any]) -> bool:
    selector = (service.get("spec") or {}).get("selector") or {}
    template = ((sts.get("spec") or {}).get("template") or {}).get("metadata") or {}
    labels = template.get("labels") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _ident(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def unprotected_databases(
    services: Iterable[Mapping[str, Any]],
    statefulsets: Iterable[Mapping[str, Any]],
    policies: Iterable[Mapping[str, Any]],
) -> list[Unprotected]:
    """Return every database-looking Service/StatefulSet no policy reaches, sorted.

    Args:
        services: Service bodies (any namespaces).
        statefulsets: StatefulSet bodies (any namespaces).
        policies: BackupPolicy bodies; each protects what its ``spec.database.host`` names.
    """
    targets = [t for t in (PolicyTarget.of(p) for p in policies) if t is not None]
    services = [s for s in services if not _ours(s)]
    protected_services = {
        _ident(s)
        for s in services
        if any(reaches_service(t, _ident(s)[1], _ident(s)[0]) for t in targets)
    }
    found: list[Unprotected] = []
    for service in services:
        namespace, name = _ident(service)
        detected = detect_service(service)
        if detected is None or (namespace, name) in protected_services:
            continue
        engine, evidence = detected
        found.append(
            Unprotected(
                "Service",
                namespace,
                name,
                engine,
                f"looks like {engine} ({evidence}) and no BackupPolicy's spec.database.host "
                f"names {name}.{namespace}",
            )
        )
    for sts in statefulsets:
        if _ours(sts):
            continue
        namespace, name = _ident(sts)
        detected = detect_statefulset(sts)
        if detected is None:
            continue
        governing = str((sts.get("spec") or {}).get("serviceName") or "")
        fronted = any(
            _ident(s)[0] == namespace and _selects(s, sts) and _ident(s) in protected_services
            for s in services
        )
        by_pod = governing and any(_reaches_pod_of(t, governing, namespace) for t in targets)
        by_governing = governing and (namespace, governing) in protected_services
        if fronted or by_pod or by_governing:
            continue
        engine, evidence = detected
        found.append(
            Unprotected(
                "StatefulSet",
                namespace,
                name,
                engine,
                f"looks like {engine} ({evidence}) and no BackupPolicy reaches its pods "
                "through a Service",
            )
        )
    return sorted(found, key=lambda u: (u.namespace, u.kind, u.name))


def coverage_counts(found: Iterable[Unprotected]) -> dict[str, int]:
    """Return unprotected findings per namespace, for ``strongroom_unprotected_databases``."""
    return dict(Counter(u.namespace for u in found))
