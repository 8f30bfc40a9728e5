"""Every YAML example in docs/ is accepted by a real API server (kubectl apply --dry-run=server),
and the CRDs teach their fields through `kubectl explain` and show the printer columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from crd_steps import DOCS, given_strongroom_crds
from tests.support.cluster import LocalCluster

FENCED_YAML = re.compile(r"```yaml\n(.*?)```", re.DOTALL)


def docs_examples() -> list[tuple[str, str]]:
    """(where, YAML text) for every example file and every Strongroom object in a docs page."""
    found = [
        (str(p.relative_to(DOCS)), p.read_text())
        for p in sorted((DOCS / "examples").glob("*.yaml"))
    ]
    for page in sorted(DOCS.rglob("*.md")):
        for index, block in enumerate(FENCED_YAML.findall(page.read_text())):
            docs = [d for d in yaml.safe_load_all(block) if isinstance(d, dict)]
            if any(str(d.get("apiVersion", "")).startswith("strongroom.dev/") for d in docs):
                found.append((f"{page.relative_to(DOCS)}#{index}", block))
    return found


def test_the_docs_have_examples_of_every_kind() -> None:
    kinds = {d["kind"] for _, text in docs_examples() for d in yaml.safe_load_all(text) if d}
    assert kinds >= {"BackupPolicy", "Backup", "Restore"}


@pytest.mark.parametrize(("where", "text"), docs_examples(), ids=[w for w, _ in docs_examples()])
def test_docs_example_is_accepted_by_the_api_server(
    cluster: LocalCluster, namespace: str, where: str, text: str
) -> None:
    given_strongroom_crds(cluster)
    result = cluster.kubectl(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-", input=text, check=False
    )
    assert result.returncode == 0, f"{where}: {result.stderr}"


def test_kubectl_explain_teaches_the_fields(cluster: LocalCluster) -> None:
    given_strongroom_crds(cluster)
    explained = cluster.kubectl("explain", "backuppolicies.spec.retention.keepLast").stdout
    assert "Keep the newest N successful backups." in explained
    encryption = cluster.kubectl("explain", "backuppolicies.spec.encryption").stdout
    assert "there is no way to switch it off" in encryption


def test_a_created_policy_shows_its_columns_under_short_name_and_category(
    cluster: LocalCluster, namespace: str
) -> None:
    given_strongroom_crds(cluster)
    policy = (Path(DOCS) / "examples" / "01-policy-postgres.yaml").read_text()
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=policy)
    table = cluster.kubectl("get", "sbp", "-n", namespace).stdout
    header, row = table.splitlines()[:2]
    assert header.split()[:7] == [
        "NAME",
        "ENGINE",
        "SCHEDULE",
        "LAST",
        "BACKUP",
        "LAST",
        "VERIFIED",
    ]
    assert row.split()[:2] == ["shop-postgres", "postgresql"]
    listed = cluster.kubectl("get", "strongroom", "-n", namespace, "-o", "name").stdout.split()
    assert "backuppolicy.strongroom.dev/shop-postgres" in listed
    stored = yaml.safe_load(
        cluster.kubectl("get", "sbp", "shop-postgres", "-n", namespace, "-o", "yaml").stdout
    )
    assert stored["spec"]["verification"]["scratch"] == {}, (
        "object defaults are applied by the server"
    )
    assert stored["spec"]["deletionPolicy"] == "Retain"
    assert stored["spec"]["storage"]["credentialsSecretRef"]["accessKeyIdKey"] == "accessKeyId"
