"""Every Prometheus metric Strongroom exports, declared in this one module.

Why one module: alerts, the dashboard and the docs are all written against these names, and a
test renders a populated :class:`OperatorMetrics` to prove every name they use is exported.

Two kinds of series, kept apart on purpose:

* **Per-policy gauges are computed at scrape time** by :class:`_PolicyCollector` from the
  latest :class:`PolicyMetricsSnapshot` the controller handed to
  :meth:`OperatorMetrics.observe_policy`. Nothing is ``set()`` piecemeal, so a gauge cannot drift
  from the observed status, and :meth:`OperatorMetrics.forget_policy` removes every series of a
  deleted policy at once (the pattern of crate-operator's ``prometheus.py``).
* **Counters and histograms** count events (runs, errors) as they happen. A new policy's
  counters are pre-initialised at 0 for both results, so ``increase()`` and "never" alerts work.

Conventions (prometheus.io naming practices): prefix ``strongroom_``, base units (seconds,
bytes), timestamps instead of ages (``0`` means "never"), ``_total`` on counters, no
``_gauge``/``_counter`` suffixes, labels bounded to ``namespace``/``policy`` plus the small
enums ``result``, ``check`` and ``kind``. A value that is not known yet (no RPO objective, no
restore measured, no compliance verdict) is exported as ``NaN``: comparisons with NaN are
false, so alerts neither fire nor clear on a guess.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from socketserver import ThreadingMixIn
from typing import Any, Literal
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from strongroom import __version__

RunResult = Literal["succeeded", "failed"]
RUN_RESULTS: tuple[RunResult, ...] = ("succeeded", "failed")
#: Resource kinds whose reconcile-error counters start at 0.
RECONCILE_KINDS: tuple[str, ...] = ("BackupPolicy", "Backup", "Restore")
#: The aggregate compliance check: 1 only when every check is 1.
CHECK_ALL = "all"

#: Backups and restores take minutes to hours; the buckets span 10 s to 1 day.
DURATION_BUCKETS: tuple[float, ...] = (
    *(10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0),
    *(3600.0, 7200.0, 14400.0, 28800.0, 57600.0, 86400.0, math.inf),
)
_POLICY_LABELS = ("namespace", "policy")


@dataclass(frozen=True, kw_only=True)
class PolicyMetricsSnapshot:
    """What the controller observed about one policy; every per-policy gauge derives from it.

    Datetimes should be timezone-aware; a naive one is read as UTC.

    Attributes:
        engine: Database engine of the policy (``postgres``, ``mysql``).
        suspended: Whether the policy's schedule is suspended.
        rpo_seconds: The recovery point objective; ``None`` when the policy sets none.
        last_backup_success: End of the newest successful backup, ``None`` if never.
        last_backup_failure: End of the newest failed backup, ``None`` if never.
        last_backup_size_bytes: Stored size of the newest successful backup.
        last_verification_success: End of the newest passed verification.
        last_verification_failure: End of the newest failed verification.
        last_restore_seconds: Duration of the newest verification restore (observed RTO).
        last_verification_content_checked: Whether the newest passed verification compared
            content hashes (``True``) or row counts only (``False``, the backup's hashes were
            not comparable); ``None`` when it checked no equivalence or none passed yet.
        verification_max_age_seconds: How old the newest passed verification may be
            (``spec.verification.maxAge``); ``None`` when the policy sets none.
        key_created: Creation time of the primary encryption key version.
        key_rotation_period_seconds: Rotation period of the key; ``None`` when not rotated by us.
        key_versions_in_use: Key versions still needed by retained backups.
        manifests_pending_rewrap: Retained manifests not yet re-wrapped to the primary version.
        retained_backups: Backups currently kept by retention.
        compliance: Check name (``rpo``, ``retention``, ...) to verdict; ``None`` = unknown.
    """

    engine: str
    suspended: bool = False
    rpo_seconds: float | None = None
    last_backup_success: datetime | None = None
    last_backup_failure: datetime | None = None
    last_backup_size_bytes: int | None = None
    last_verification_success: datetime | None = None
    last_verification_failure: datetime | None = None
    last_restore_seconds: float | None = None
    last_verification_content_checked: bool | None = None
    verification_max_age_seconds: float | None = None
    key_created: datetime | None = None
    key_rotation_period_seconds: float | None = None
    key_versions_in_use: int = 0
    manifests_pending_rewrap: int = 0
    retained_backups: int = 0
    compliance: Mapping[str, bool | None] = field(default_factory=dict)


def _timestamp(moment: datetime | None) -> float:
    """Seconds since the epoch; 0 stands for "never"."""
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _known(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _verdict(value: bool | None) -> float:
    return math.nan if value is None else float(value)


def _overall(compliance: Mapping[str, bool | None]) -> float:
    """0 if any check fails, 1 if every check passes, NaN while any is unknown (or none exist)."""
    verdicts = list(compliance.values())
    if any(v is False for v in verdicts):
        return 0.0
    if verdicts and all(v is True for v in verdicts):
        return 1.0
    return math.nan


@dataclass(frozen=True)
class _Gauge:
    name: str
    documentation: str
    value: Callable[[PolicyMetricsSnapshot], float]


_POLICY_GAUGES: tuple[_Gauge, ...] = (
    _Gauge("strongroom_backup_last_success_timestamp_seconds",
           "End of the newest successful backup (Unix time; 0 = never).",
           lambda s: _timestamp(s.last_backup_success)),
    _Gauge("strongroom_backup_last_failure_timestamp_seconds",
           "End of the newest failed backup (Unix time; 0 = never).",
           lambda s: _timestamp(s.last_backup_failure)),
    _Gauge("strongroom_backup_last_size_bytes",
           "Stored (compressed, encrypted) size of the newest successful backup; 0 = none yet.",
           lambda s: float(s.last_backup_size_bytes or 0)),
    _Gauge("strongroom_verification_last_success_timestamp_seconds",
           "End of the newest passed restore verification (Unix time; 0 = never).",
           lambda s: _timestamp(s.last_verification_success)),
    _Gauge("strongroom_verification_last_failure_timestamp_seconds",
           "End of the newest failed restore verification (Unix time; 0 = never).",
           lambda s: _timestamp(s.last_verification_failure)),
    _Gauge("strongroom_verification_restore_duration_seconds",
           "Restore time measured by the newest verification: the observed RTO (NaN = none yet).",
           lambda s: _known(s.last_restore_seconds)),
    _Gauge("strongroom_verification_last_content_checked",
           "Whether the newest passed verification compared content hashes: 1 hashes and row "
           "counts, 0 row counts only (hashes not comparable), NaN no equivalence check.",
           lambda s: _verdict(s.last_verification_content_checked)),
    _Gauge("strongroom_verification_max_age_seconds",
           "How old the newest passed verification may be (NaN = no limit set).",
           lambda s: _known(s.verification_max_age_seconds)),
    _Gauge("strongroom_encryption_key_created_timestamp_seconds",
           "Creation time of the primary key-encryption key version (Unix time; 0 = none).",
           lambda s: _timestamp(s.key_created)),
    _Gauge("strongroom_encryption_key_rotation_period_seconds",
           "How often the key must rotate (NaN = no rotation managed by Strongroom).",
           lambda s: _known(s.key_rotation_period_seconds)),
    _Gauge("strongroom_encryption_key_versions_in_use",
           "Key versions still needed to open retained backups.",
           lambda s: float(s.key_versions_in_use)),
    _Gauge("strongroom_encryption_manifests_pending_rewrap",
           "Retained manifests not yet re-wrapped to the primary key version (0 = rotation done).",
           lambda s: float(s.manifests_pending_rewrap)),
    _Gauge("strongroom_policy_rpo_seconds",
           "The policy's recovery point objective (NaN = none set).",
           lambda s: _known(s.rpo_seconds)),
    _Gauge("strongroom_policy_suspended",
           "1 while the policy's schedule is suspended, else 0.",
           lambda s: float(s.suspended)),
    _Gauge("strongroom_backups_retained",
           "Backups currently kept by the retention rules.",
           lambda s: float(s.retained_backups)),
)  # fmt: skip


class _PolicyCollector(Collector):
    """Computes the per-policy gauges at scrape time from the latest snapshots."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[tuple[str, str], PolicyMetricsSnapshot] = {}

    def put(self, key: tuple[str, str], snapshot: PolicyMetricsSnapshot) -> bool:
        """Store a snapshot; returns whether the policy was new."""
        with self._lock:
            new = key not in self._snapshots
            self._snapshots[key] = snapshot
            return new

    def drop(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._snapshots.pop(key, None)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            items = sorted(self._snapshots.items())
        build = GaugeMetricFamily(
            "strongroom_build_info", "Strongroom version; always 1.", labels=["version"]
        )
        build.add_metric([__version__], 1.0)
        yield build
        info = GaugeMetricFamily(
            "strongroom_policy_info",
            "One series per policy (value 1) carrying its engine, for joins.",
            labels=[*_POLICY_LABELS, "engine"],
        )
        for (namespace, policy), snap in items:
            info.add_metric([namespace, policy, snap.engine], 1.0)
        yield info
        for gauge in _POLICY_GAUGES:
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=_POLICY_LABELS)
            for (namespace, policy), snap in items:
                family.add_metric([namespace, policy], gauge.value(snap))
            yield family
        compliant = GaugeMetricFamily(
            "strongroom_policy_compliant",
            'Compliance verdict per check: 1 compliant, 0 not, NaN unknown; check="all" is the'
            " conjunction.",
            labels=[*_POLICY_LABELS, "check"],
        )
        for (namespace, policy), snap in items:
            for check, verdict in sorted(snap.compliance.items()):
                compliant.add_metric([namespace, policy, check], _verdict(verdict))
            compliant.add_metric([namespace, policy, CHECK_ALL], _overall(snap.compliance))
        yield compliant


class _Handler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Scrapes every few seconds would drown the operator's log; log nothing."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


@dataclass(frozen=True)
class MetricsServer:
    """A running metrics endpoint; ``port`` is the bound port (useful when asked for 0)."""

    server: WSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self.server.server_port)

    def shutdown(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class OperatorMetrics:
    """Strongroom's metrics, owning their own :class:`CollectorRegistry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._policies = _PolicyCollector()
        self.registry.register(self._policies)
        labels = _POLICY_LABELS
        self._backup_runs = Counter(
            "strongroom_backup_runs_total", "Finished backup runs by result.",
            [*labels, "result"], registry=self.registry,
        )  # fmt: skip
        self._backup_duration = Histogram(
            "strongroom_backup_duration_seconds", "Wall time of finished backup runs.",
            labels, buckets=DURATION_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self._verification_runs = Counter(
            "strongroom_verification_runs_total", "Finished verification runs by result.",
            [*labels, "result"], registry=self.registry,
        )  # fmt: skip
        self._verification_duration = Histogram(
            "strongroom_verification_duration_seconds", "Wall time of finished verification runs.",
            labels, buckets=DURATION_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self._reconcile_errors = Counter(
            "strongroom_reconcile_errors_total",
            "Reconcile attempts that raised, by resource kind.",
            ["kind"], registry=self.registry,
        )  # fmt: skip
        for kind in RECONCILE_KINDS:
            self._reconcile_errors.labels(kind)
        self._unprotected = Gauge(
            "strongroom_unprotected_databases",
            "Database-looking Services/StatefulSets no BackupPolicy protects (coverage).",
            ["namespace"], registry=self.registry,
        )  # fmt: skip
        self._resident = Gauge(
            "strongroom_policy_resident",
            "Data residency: 1 when the bucket (really) and the KMS key are in allowed regions, "
            "0 when refused, NaN when the bucket's location could not be read.",
            labels, registry=self.registry,
        )  # fmt: skip

    def observe_policy(self, namespace: str, name: str, snapshot: PolicyMetricsSnapshot) -> None:
        """Replace the policy's snapshot; a new policy's counters start at 0."""
        if self._policies.put((namespace, name), snapshot):
            self._initialise(namespace, name)

    def forget_policy(self, namespace: str, name: str) -> None:
        """Remove every series of the policy (it was deleted or is no longer watched)."""
        self._policies.drop((namespace, name))
        for counter in (self._backup_runs, self._verification_runs):
            for result in RUN_RESULTS:
                _remove(counter, namespace, name, result)
        for histogram in (self._backup_duration, self._verification_duration):
            _remove(histogram, namespace, name)
        _remove(self._resident, namespace, name)

    def record_backup_run(
        self,
        namespace: str,
        policy: str,
        result: RunResult,
        duration_seconds: float,
        size_bytes: int | None = None,
    ) -> None:
        """Count a finished backup run and observe its duration.

        ``size_bytes`` is accepted for the controller's convenience; the exported size is the
        snapshot's ``last_backup_size_bytes``, so it cannot disagree with the status.
        """
        del size_bytes
        self._initialise(namespace, policy)
        self._backup_runs.labels(namespace, policy, _checked(result)).inc()
        self._backup_duration.labels(namespace, policy).observe(max(duration_seconds, 0.0))

    def record_verification_run(
        self, namespace: str, policy: str, result: RunResult, duration_seconds: float
    ) -> None:
        """Count a finished verification run and observe its duration."""
        self._initialise(namespace, policy)
        self._verification_runs.labels(namespace, policy, _checked(result)).inc()
        self._verification_duration.labels(namespace, policy).observe(max(duration_seconds, 0.0))

    def observe_unprotected(self, namespace_counts: Mapping[str, int]) -> None:
        """Replace the coverage gauge: unprotected databases per namespace (absent = none)."""
        self._unprotected.clear()
        for namespace, count in sorted(namespace_counts.items()):
            self._unprotected.labels(namespace).set(float(count))

    def observe_residency(self, namespace: str, policy: str, resident: bool | None) -> None:
        """Set the policy's residency verdict (``None``: the bucket location is unknown)."""
        self._resident.labels(namespace, policy).set(_verdict(resident))

    def record_reconcile_error(self, kind: str) -> None:
        """Count a reconcile attempt that raised for a resource of ``kind``."""
        self._reconcile_errors.labels(kind).inc()

    def render(self) -> bytes:
        """The current exposition text (Prometheus text format 0.0.4)."""
        return generate_latest(self.registry)

    def start_server(
        self,
        port: int,
        addr: str = "0.0.0.0",  # noqa: S104 - a Pod's port must be reachable by Prometheus
        *,
        health: Callable[[], bool] | None = None,
    ) -> MetricsServer:
        """Serve ``/metrics`` and ``/healthz`` from a daemon thread.

        Args:
            port: TCP port; 0 picks a free one (read it back from ``.port``).
            addr: Address to bind; all interfaces by default, as a Pod needs.
            health: Called by ``/healthz``; ``False`` answers 503. Default: always healthy.

        Returns:
            The running server; call ``shutdown()`` to stop it.
        """
        app = _wsgi_app(self.registry, health or (lambda: True))
        server = make_server(addr, port, app, _ThreadingServer, handler_class=_Handler)
        thread = threading.Thread(target=server.serve_forever, name="metrics", daemon=True)
        thread.start()
        return MetricsServer(server, thread)

    def _initialise(self, namespace: str, policy: str) -> None:
        for counter in (self._backup_runs, self._verification_runs):
            for result in RUN_RESULTS:
                counter.labels(namespace, policy, result)
        self._backup_duration.labels(namespace, policy)
        self._verification_duration.labels(namespace, policy)


def _checked(result: str) -> str:
    if result not in RUN_RESULTS:
        raise ValueError(f"run result must be one of {RUN_RESULTS}, got {result!r}")
    return result


def _remove(metric: Counter | Histogram | Gauge, *labels: str) -> None:
    with contextlib.suppress(KeyError):  # never recorded: nothing to remove
        metric.remove(*labels)


_WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _wsgi_app(registry: CollectorRegistry, health: Callable[[], bool]) -> _WsgiApp:
    metrics_app: _WsgiApp = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        if path == "/healthz":
            ok = health()
            start_response("200 OK" if ok else "503 Service Unavailable", [
                ("Content-Type", "text/plain; charset=utf-8"),
            ])  # fmt: skip
            return [b"ok\n" if ok else b"unhealthy\n"]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"not found; try /metrics or /healthz\n"]

    return app


#: The operator's default instance; the controller records into it.
METRICS = OperatorMetrics()
observe_policy = METRICS.observe_policy
forget_policy = METRICS.forget_policy
record_backup_run = METRICS.record_backup_run
record_verification_run = METRICS.record_verification_run
record_reconcile_error = METRICS.record_reconcile_error
start_metrics_server = METRICS.start_server
