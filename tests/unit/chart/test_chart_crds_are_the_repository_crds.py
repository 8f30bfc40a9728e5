"""The chart installs exactly the CRDs generated from strongroom.api (`make chart-crds`)."""

from pathlib import Path

ROOT = Path(__file__).parents[3]
REPO_CRDS = ROOT / "crds"
CHART_CRDS = ROOT / "charts" / "strongroom" / "files" / "crds"


def test_the_chart_carries_every_crd_byte_for_byte():
    repo = {path.name: path.read_bytes() for path in REPO_CRDS.glob("*.yaml")}
    chart = {path.name: path.read_bytes() for path in CHART_CRDS.glob("*.yaml")}

    assert "strongroom.dev_backuppolicies.yaml" in repo
    assert sorted(chart) == sorted(repo), "run `make chart-crds`"
    for name, content in repo.items():
        assert chart[name] == content, f"{name} differs from crds/: run `make chart-crds`"
