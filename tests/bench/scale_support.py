"""Parts of the operator scale benchmark: policy fleets, process sampling, Backup arrival times.

The benchmark asks one question: with many BackupPolicies, does the operator still create each
slot's Backup on time, in bounded memory, and stay quiet between slots? The pieces here build
the fleet (namespaces, logins, policies as one multi-document apply per namespace), read the
operator's memory and CPU from ``/proc`` (what a container runtime would account), and watch
Backups arrive so the delay is known to the millisecond, not only to the second that
``creationTimestamp`` keeps.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from tests.support.cluster import LocalCluster
from tests.support.kubeapi import ApiError, KubeAPI
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY

GROUP_PATH = "/apis/strongroom.dev/v1alpha1"
POLICIES_PER_NAMESPACE = 100
_TOO_MANY = 429
#: Clock ticks per second of /proc/<pid>/stat times.
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_time(text: str) -> datetime:
    """Parse a Kubernetes RFC 3339 time (``Z`` suffix, optional fraction)."""
    return datetime.fromisoformat(text).astimezone(UTC)


def namespaces_for(policies: int) -> list[str]:
    """Namespaces holding ``policies`` policies, at most 100 per namespace."""
    count = max(1, math.ceil(policies / POLICIES_PER_NAMESPACE))
    return [f"scale-{n:02d}" for n in range(count)]


def fleet_documents(
    *,
    namespace: str,
    names: list[str],
    bucket: str,
    endpoint: str,
    cron: str = "* * * * *",
    rpo: str = "5m",
) -> str:
    """The namespace's Secrets and policies (per-minute by default) as one multi-document YAML.

    The database host does not exist: Jobs never run without a kubelet, so the policies only
    need what readiness checks (Secrets with their keys, a reachable bucket; the operator
    creates each key ring itself).
    """
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        _secret(namespace, "db-login", {"username": "bench", "password": "bench-password"}),
        _secret(namespace, "s3-login", {"accessKeyId": ACCESS_KEY, "secretAccessKey": SECRET_KEY}),
    ]
    docs += [
        _policy(namespace, name, bucket=bucket, endpoint=endpoint, cron=cron, rpo=rpo)
        for name in names
    ]
    return yaml.safe_dump_all(docs)


def _secret(namespace: str, name: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "stringData": data,
    }


def _policy(
    namespace: str, name: str, *, bucket: str, endpoint: str, cron: str, rpo: str
) -> dict[str, Any]:
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "BackupPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "database": {
                "engine": "postgresql",
                "host": "db.invalid",
                "port": 5432,
                "database": "store",
                "credentialsSecretRef": {"name": "db-login"},
                "tls": {"mode": "disable"},
            },
            "schedule": {"cron": cron, "startingDeadline": "5m"},
            "retention": {"keepLast": 2},
            "encryption": {"keyRingSecretRef": {"name": f"{name}-keyring"}},
            "storage": {
                "bucket": bucket,
                "prefix": f"scale/{namespace}/{name}",
                "endpoint": endpoint,
                "region": REGION,
                "forcePathStyle": True,
                "credentialsSecretRef": {"name": "s3-login"},
            },
            "verification": {"level": "integrity"},
            "objectives": {"rpo": rpo},
        },
    }


def apply_fleet(cluster: LocalCluster, documents: str) -> None:
    """Server-side apply of one namespace's documents in a single kubectl call."""
    cluster.kubectl("apply", "--server-side", "-f", "-", input=documents, timeout=600)


def ready_count(api: KubeAPI) -> int:
    """How many policies (every namespace) have ``Ready=True``."""
    items = api.get(f"{GROUP_PATH}/backuppolicies")["items"]
    return sum(
        1
        for item in items
        for c in (item.get("status") or {}).get("conditions") or []
        if c.get("type") == "Ready" and c.get("status") == "True"
    )


@dataclass(frozen=True)
class ProcSample:
    """One reading of a process: memory (bytes) and CPU seconds so far."""

    at: float
    rss: int
    hwm: int
    cpu_seconds: float


def sample(pid: int) -> ProcSample:
    """Read VmRSS/VmHWM from ``/proc/<pid>/status`` and utime+stime from ``/proc/<pid>/stat``."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    stat = Path(f"/proc/{pid}/stat").read_text()
    after_name = stat.rsplit(")", 1)[1].split()
    utime, stime = int(after_name[11]), int(after_name[12])  # fields 14 and 15 of stat
    return ProcSample(
        at=time.monotonic(),
        rss=int(fields["VmRSS"].split()[0]) * 1024,
        hwm=int(fields["VmHWM"].split()[0]) * 1024,
        cpu_seconds=(utime + stime) / _CLK_TCK,
    )


@dataclass
class Arrival:
    """A Backup as first seen by the watch: names, slot, creationTimestamp, local arrival."""

    namespace: str
    name: str
    policy: str
    scheduled: datetime
    created: datetime
    seen: datetime


@dataclass
class BackupWatch:
    """Watch Backups in every namespace from a thread; record when each first arrives."""

    api: KubeAPI
    arrivals: dict[tuple[str, str], Arrival] = field(default_factory=dict)
    error: BaseException | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """List once (resourceVersion) and keep watching until :meth:`stop`.

        A CRD just established answers 429 while its storage initialises: retried for 60 s.
        """
        deadline = time.monotonic() + 60
        while True:
            try:
                listing = self.api.get(f"{GROUP_PATH}/backups")
                break
            except ApiError as exc:
                if exc.status != _TOO_MANY or time.monotonic() > deadline:
                    raise
                time.sleep(1)
        version = listing["metadata"]["resourceVersion"]
        self._thread = threading.Thread(target=self._run, args=(version,), daemon=True)
        self._thread.start()

    def _run(self, version: str) -> None:
        try:
            while not self._stop.is_set():
                for event in self.api.watch(f"{GROUP_PATH}/backups", version, timeout_seconds=30):
                    obj = event["object"]
                    version = obj["metadata"].get("resourceVersion", version)
                    if event["type"] == "ADDED":
                        self._record(obj)
                    if self._stop.is_set():
                        return
        except BaseException as exc:  # reported by the benchmark
            self.error = exc

    def _record(self, obj: dict[str, Any]) -> None:
        seen = datetime.now(UTC)
        meta = obj["metadata"]
        key = (meta["namespace"], meta["name"])
        if key in self.arrivals:
            return
        self.arrivals[key] = Arrival(
            namespace=meta["namespace"],
            name=meta["name"],
            policy=(meta.get("labels") or {}).get("strongroom.dev/policy", ""),
            scheduled=parse_time(obj["spec"]["scheduledTime"]),
            created=parse_time(meta["creationTimestamp"]),
            seen=seen,
        )

    def stop(self) -> None:
        """Ask the watch to end (it does at the next event or its 30-second timeout)."""
        self._stop.set()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


BEGIN = "<!-- scale:begin -->"
END = "<!-- scale:end -->"


def write_section(path: Path, section: str) -> None:
    """Replace what lies between the scale markers of ``path`` (append them when absent).

    The file is re-read just before writing, so other sections written meanwhile are kept.
    """
    block = f"{BEGIN}\n{section.rstrip()}\n{END}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + block + tail
    else:
        new = (text.rstrip() + "\n\n" if text.strip() else "") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


@dataclass(frozen=True)
class StoreCost:
    """What building one S3 object store (a boto3 session and client) costs, on average."""

    cpu_seconds: float
    rss_growth: int


def store_construction_cost(*, endpoint: str, bucket: str, count: int = 10) -> StoreCost:
    """Build ``count`` stores the way the operator's store factory does; keep them alive.

    A diagnostic of the scale figures: the operator builds one per policy look.
    """
    from strongroom.controller.runtime import _InlineStorageConfig  # noqa: PLC0415
    from strongroom.storage.config import Credentials  # noqa: PLC0415
    from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415

    settings = _InlineStorageConfig(
        bucket=bucket,
        region=REGION,
        endpoint_url=endpoint,
        force_path_style=True,
        max_attempts=3,
        part_attempts=1,
        connect_timeout=5.0,
        read_timeout=20.0,
        inline=Credentials(ACCESS_KEY, SECRET_KEY),
    )
    S3ObjectStore(settings)  # imports and the first model load are not the steady cost
    before = sample(os.getpid())
    kept = [S3ObjectStore(settings) for _ in range(count)]
    after = sample(os.getpid())
    assert len(kept) == count
    return StoreCost(
        cpu_seconds=(after.cpu_seconds - before.cpu_seconds) / count,
        rss_growth=(after.rss - before.rss) // count,
    )
