"""Every query of the Grafana dashboard parses as PromQL (Prometheus' own parser, through
`promtool check rules` on recording rules built from the panels): no panel shows a syntax error."""

import json
import shutil
import subprocess

import yaml
from tests.support.helm_chart import CHART

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def test_every_panel_query_is_valid_promql(tmp_path):
    dashboard = json.loads((CHART / "dashboards" / "strongroom.json").read_text())
    rules = [
        {"record": f"dashboard:panel{panel['id']}_{target['refId']}", "expr": target["expr"]}
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]
    assert len(rules) > 15
    path = tmp_path / "dashboard.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))

    result = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dashboard_is_provisionable_json_with_its_variables():
    dashboard = json.loads((CHART / "dashboards" / "strongroom.json").read_text())
    assert dashboard["uid"] == "strongroom-backups"
    names = [v["name"] for v in dashboard["templating"]["list"]]
    assert names == ["datasource", "namespace", "policy"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
