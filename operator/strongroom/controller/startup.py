"""Operator startup and shutdown: Kopf settings, the Kubernetes and S3 ports, /metrics.

Kopf settings, and why each:

* our own finalizer (``strongroom.dev/finalizer``) and progress/diff-base annotations under
  ``strongroom.dev/``, not Kopf's legacy ``kopf.zalando.org`` (CONVENTIONS "Kopf");
* ``posting.level = WARNING``: Kopf turns log records of that level into Events. Ours are
  posted explicitly from the Event catalogue; Kopf adds only handler failures, whose text is
  our secret-free error message — never an INFO line that could quote a body;
* watch ``server_timeout``/``client_timeout`` and ``inactivity_timeout`` so a silently dead
  watch is re-established (nolar/kopf #585, #955, #1120) (F9);
* peering standalone unless a peering name is configured (HA replicas with priorities);
* a login handler, so Kopf and :class:`~strongroom.kube.client.RealKube` log in the same way.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

import kopf

from strongroom import config as configuration
from strongroom import metrics
from strongroom.api.policy import BackupPolicySpec
from strongroom.controller.runtime import Runtime, s3_store_factory
from strongroom.manifests.labels import FINALIZER, KOPF_PREFIX

_log = logging.getLogger(__name__)


def _kms_factory(spec: BackupPolicySpec) -> Any:
    from strongroom.storage.aws import kms_client  # noqa: PLC0415 - boto3 only for KMS

    return kms_client(
        region=spec.encryption.kms_region or spec.storage.region,
        endpoint_url=spec.storage.endpoint,
    )


@kopf.on.login()
async def login(**_: Any) -> kopf.ConnectionInfo:
    """Log Kopf in exactly as our own client (pod IP and rotating token, or exec plugins).

    Without this Kopf falls back to its minimal loaders: in a pod they dial
    ``kubernetes.default.svc`` (cluster DNS, not ``KUBERNETES_SERVICE_HOST``), and from a
    kubeconfig they know no exec plugin. Kopf calls this again after a 401 or at ``expiration``,
    which re-reads a rotated token or re-runs the plugin.
    """
    return await connection_info()


async def connection_info() -> kopf.ConnectionInfo:
    """The current identity for Kopf, from the kubeconfig our client is given too."""
    from strongroom.kube.credentials import load  # noqa: PLC0415 - with the client, lazily

    return kopf.ConnectionInfo(**asdict(await load(configuration.current().kubeconfig).login()))


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Apply Kopf settings, connect to the API server and start the metrics server."""
    from strongroom.kube.client import RealKube  # noqa: PLC0415 - the one client import

    cfg = configuration.current()
    settings.persistence.finalizer = FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=KOPF_PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=KOPF_PREFIX, key="last-handled-configuration"
    )
    settings.posting.level = logging.WARNING
    settings.posting.reporting_component = "strongroom.dev/operator"
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    settings.watching.connect_timeout = 30
    settings.watching.inactivity_timeout = 600
    settings.peering.standalone = cfg.peering_name is None
    if cfg.peering_name is not None:
        settings.peering.name = cfg.peering_name
        settings.peering.priority = cfg.peering_priority
        settings.peering.clusterwide = cfg.cluster_wide
    kube = await RealKube.connect(cfg.kubeconfig, connections=cfg.api_connections)
    memo.runtime = Runtime(
        config=cfg,
        kube=kube,
        stores=s3_store_factory(kube, cfg),
        metrics=metrics.METRICS,
        kms=_kms_factory,
    )
    memo.metrics_server = metrics.start_metrics_server(cfg.metrics_port)
    _log.info(
        "strongroom operator started: metrics on port %s, watching %s",
        memo.metrics_server.port,
        "every namespace" if cfg.cluster_wide else ", ".join(cfg.namespaces),
    )


@kopf.on.cleanup()
async def shut_down(memo: kopf.Memo, **_: Any) -> None:
    """Close the API connection and stop the metrics server."""
    runtime = getattr(memo, "runtime", None)
    if runtime is not None:
        await runtime.kube.close()
    server = getattr(memo, "metrics_server", None)
    if server is not None:
        server.shutdown()
