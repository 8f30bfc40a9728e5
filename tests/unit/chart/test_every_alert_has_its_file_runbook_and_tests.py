"""Each alert is its own file with severity, summary, description and a runbook, and has promtool
cases that fire and that stay silent."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[3]
CHART = ROOT / "charts" / "strongroom"
ALERTS = [
    "StrongroomBackupTooOld",
    "StrongroomBackupFailing",
    "StrongroomVerificationFailed",
    "StrongroomVerificationStale",
    "StrongroomKeyRotationOverdue",
    "StrongroomPolicyNotCompliant",
    "StrongroomOperatorDown",
    "StrongroomReconcileErrors",
    "StrongroomUnprotectedDatabase",
]


def test_the_rule_files_are_exactly_the_alerts():
    assert sorted(p.stem for p in (CHART / "prometheus_rules").glob("*.yaml")) == sorted(ALERTS)


@pytest.mark.parametrize("alert", ALERTS)
def test_one_alert_per_file_with_severity_annotations_and_runbook(alert):
    groups = yaml.safe_load((CHART / "prometheus_rules" / f"{alert}.yaml").read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == 1
    rule = rules[0]
    assert rule["alert"] == alert
    assert rule["labels"]["severity"] in {"critical", "warning"}
    assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
    assert rule["annotations"]["runbook_url"].endswith(f"/docs/runbooks/{alert}.md")


@pytest.mark.parametrize("alert", ALERTS)
def test_each_runbook_says_meaning_impact_diagnosis_and_mitigation(alert):
    text = (ROOT / "docs" / "runbooks" / f"{alert}.md").read_text()
    for section in ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation"):
        assert section in text, f"{alert}.md lacks {section}"
    assert "kubectl " in text


@pytest.mark.parametrize("alert", ALERTS)
def test_each_alert_has_a_firing_and_a_silent_promtool_case(alert):
    suite = yaml.safe_load((CHART / "tests" / "rules" / f"{alert}.test.yaml").read_text())
    assert suite["rule_files"] == [f"../../prometheus_rules/{alert}.yaml"]
    cases = [case for test in suite["tests"] for case in test["alert_rule_test"]]
    assert all(case["alertname"] == alert for case in cases)
    assert any(case["exp_alerts"] for case in cases), f"{alert}: no case that fires"
    assert any(not case["exp_alerts"] for case in cases), f"{alert}: no case that stays silent"
