"""OperatorConfig reads the STRONGROOM_* variables the chart sets, with documented defaults."""

from __future__ import annotations

import pytest

from strongroom.config import OperatorConfig


def test_the_charts_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_NAMESPACES", "shop, billing")
    monkeypatch.setenv("STRONGROOM_METRICS_PORT", "9100")
    monkeypatch.setenv("STRONGROOM_AGENT_IMAGE", "ghcr.io/strongroom/strongroom:1.2.3")
    monkeypatch.setenv("STRONGROOM_JOB_SERVICE_ACCOUNT", "rel-strongroom-job")
    monkeypatch.setenv("STRONGROOM_LOG_FORMAT", "text")
    monkeypatch.setenv("STRONGROOM_POD_INDEX", "0")  # set by the chart for HA; not ours to read
    config = OperatorConfig()
    assert config.namespaces == ["shop", "billing"]
    assert not config.cluster_wide
    assert config.metrics_port == 9100
    assert config.agent_image.endswith(":1.2.3")
    assert config.job_service_account == "rel-strongroom-job"
    assert config.log_format == "text"


def test_defaults_are_cluster_wide_json_and_standalone(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NAMESPACES", "LOG_FORMAT", "PEERING_NAME", "TIMER_INTERVAL"):
        monkeypatch.delenv(f"STRONGROOM_{name}", raising=False)
    config = OperatorConfig()
    assert config.cluster_wide
    assert config.log_format == "json"
    assert config.peering_name is None
    assert config.timer_interval == 10.0


def test_every_setting_is_documented() -> None:
    for name, field in OperatorConfig.model_fields.items():
        assert field.description, f"{name} has no description"
