"""Every metric an alert or a dashboard panel queries is really exported by strongroom.metrics.

A renamed metric would otherwise leave an alert that can never fire and a panel that stays empty.
"""

import json
import re
from pathlib import Path

import yaml

CHART = Path(__file__).parents[3] / "charts" / "strongroom"
METRIC = re.compile(r"\bstrongroom_[a-zA-Z0-9_]+")


def alert_expressions():
    for path in sorted((CHART / "prometheus_rules").glob("*.yaml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield rule["alert"], rule["expr"]


def dashboard_expressions():
    dashboard = json.loads((CHART / "dashboards" / "strongroom.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            yield f"${variable['name']}", variable["query"]["query"]


def test_there_are_alerts_and_panels_to_check():
    assert len(list(alert_expressions())) == 9
    assert len(list(dashboard_expressions())) > 15


def test_every_metric_in_an_alert_is_exported(populated, scrape):
    exported = scrape(populated).names()
    for alert, expr in alert_expressions():
        used = set(METRIC.findall(expr))
        # Only the operator-down alert reads Prometheus' own `up` series instead.
        assert used or 'up{job="strongroom"}' in expr, f"{alert} queries no strongroom metric"
        assert used <= exported, f"{alert} uses metrics nobody exports: {used - exported}"


def test_every_metric_in_the_dashboard_is_exported(populated, scrape):
    exported = scrape(populated).names()
    for title, expr in dashboard_expressions():
        used = set(METRIC.findall(expr))
        assert used <= exported, f"panel {title!r} uses metrics nobody exports: {used - exported}"


def test_the_dashboard_covers_compliance_ages_sizes_durations_and_keys():
    used = {name for _, expr in dashboard_expressions() for name in METRIC.findall(expr)}
    for needed in (
        "strongroom_policy_compliant",
        "strongroom_backup_last_success_timestamp_seconds",
        "strongroom_policy_rpo_seconds",
        "strongroom_verification_last_success_timestamp_seconds",
        "strongroom_backup_last_size_bytes",
        "strongroom_backup_duration_seconds_bucket",
        "strongroom_encryption_key_created_timestamp_seconds",
    ):
        assert needed in used, needed
