"""The operator's HTTP endpoint serves the exposition at /metrics and a health answer at /healthz
over a real socket, as Prometheus and the kubelet's probes reach it."""

import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from strongroom.metrics import OperatorMetrics, PolicyMetricsSnapshot


@pytest.fixture
def metrics():
    metrics = OperatorMetrics()
    metrics.observe_policy(
        "shop", "orders", PolicyMetricsSnapshot(engine="postgresql", rpo_seconds=3600)
    )
    return metrics


def fetch(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_and_healthz_over_http(metrics):
    server = metrics.start_server(0, "127.0.0.1")
    try:
        status, body = fetch(server.port, "/metrics")
        assert status == 200
        names = {s.name for f in text_string_to_metric_families(body) for s in f.samples}
        assert "strongroom_backup_last_success_timestamp_seconds" in names
        assert fetch(server.port, "/healthz") == (200, "ok\n")
        assert fetch(server.port, "/elsewhere")[0] == 404
    finally:
        server.shutdown()


def test_healthz_reports_an_unhealthy_operator(metrics):
    healthy = {"value": True}
    server = metrics.start_server(0, "127.0.0.1", health=lambda: healthy["value"])
    try:
        assert fetch(server.port, "/healthz")[0] == 200
        healthy["value"] = False
        assert fetch(server.port, "/healthz")[0] == 503
    finally:
        server.shutdown()
