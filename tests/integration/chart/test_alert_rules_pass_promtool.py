"""The alerts pass `promtool check rules` and their `promtool test rules` cases (each fires and
stays silent where it should), and the chart's PrometheusRule carries exactly those rules.

The PrometheusRule and ServiceMonitor are not applied to the local API server (their CRDs belong
to prometheus-operator); the rules inside are proved here with Prometheus' own tool instead.
"""

import shutil
import subprocess

import yaml
from tests.support.helm_chart import CHART, MONITORING_ON

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def promtool(*args, cwd=None):
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=120
    )


def test_every_rule_file_is_valid_prometheus():
    files = sorted(str(p) for p in (CHART / "prometheus_rules").glob("*.yaml"))
    result = promtool("check", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS: 1 rules found") == 9


def test_every_alert_fires_and_stays_silent_as_its_cases_say():
    tests = sorted(p.name for p in (CHART / "tests" / "rules").glob("*.test.yaml"))
    result = promtool("test", "rules", *tests, cwd=CHART / "tests" / "rules")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(tests) == 9


def test_a_wrong_expectation_makes_promtool_fail(tmp_path):
    suite = yaml.safe_load(
        (CHART / "tests" / "rules" / "StrongroomBackupTooOld.test.yaml").read_text()
    )
    suite["rule_files"] = [str(CHART / "prometheus_rules" / "StrongroomBackupTooOld.yaml")]
    suite["tests"][0]["alert_rule_test"][1][
        "exp_alerts"
    ] = []  # claim the never-backed-up policy is silent
    broken = tmp_path / "broken.test.yaml"
    broken.write_text(yaml.safe_dump(suite))

    result = promtool("test", "rules", str(broken))

    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_the_rendered_prometheusrule_is_the_rule_files_with_the_configured_runbooks(helm, tmp_path):
    docs = helm.render(
        *MONITORING_ON, "prometheusRule.runbookBaseUrl=https://wiki.example/runbooks/"
    )
    (rule,) = [d for d in docs if d["kind"] == "PrometheusRule"]
    rendered = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    rules_file = tmp_path / "rendered.rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))

    assert promtool("check", "rules", str(rules_file)).returncode == 0
    for path in (CHART / "prometheus_rules").glob("*.yaml"):
        (source,) = yaml.safe_load(path.read_text())["groups"][0]["rules"]
        got = rendered[source["alert"]]
        assert (
            got["annotations"]["runbook_url"]
            == f"https://wiki.example/runbooks/{source['alert']}.md"
        )
        for key in ("expr", "for", "labels"):
            assert got[key] == source[key], (source["alert"], key)
        for key in ("summary", "description"):
            assert got["annotations"][key] == source["annotations"][key]


def test_disabled_alerts_and_a_custom_job_label_are_honoured(helm):
    docs = helm.render(
        *MONITORING_ON,
        "prometheusRule.disabledAlerts={StrongroomKeyRotationOverdue}",
        "prometheusRule.operatorJob=backup-operator",
    )
    (rule,) = [d for d in docs if d["kind"] == "PrometheusRule"]
    rendered = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}

    assert "StrongroomKeyRotationOverdue" not in rendered
    assert len(rendered) == 8
    assert 'up{job="backup-operator"}' in rendered["StrongroomOperatorDown"]["expr"]


def test_the_servicemonitor_keeps_our_namespace_label_and_the_alerts_job_name(helm):
    docs = helm.render(*MONITORING_ON)
    (monitor,) = [d for d in docs if d["kind"] == "ServiceMonitor"]
    (service,) = [d for d in docs if d["kind"] == "Service"]

    endpoint = monitor["spec"]["endpoints"][0]
    assert endpoint["honorLabels"] is True  # else `namespace` becomes `exported_namespace`
    assert endpoint["port"] == "metrics"
    assert service["metadata"]["labels"][monitor["spec"]["jobLabel"]] == "strongroom"
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
