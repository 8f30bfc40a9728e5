"""A bad ErasureLedger is refused by the real API server, naming the field: SQL text where an
identifier belongs, one request id twice, a policy listed twice, a delete with no key."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from crd_steps import DOCS, given_strongroom_crds
from tests.support.cluster import LocalCluster


def good_ledger() -> dict[str, Any]:
    ledger: dict[str, Any] = yaml.safe_load(
        (DOCS / "examples" / "05-erasure-ledger.yaml").read_text()
    )
    return ledger


def first_delete(ledger: dict[str, Any]) -> dict[str, Any]:
    delete: dict[str, Any] = ledger["spec"]["entries"][0]["deletes"][0]
    return delete


Change = Callable[[dict[str, Any]], Any]
CASES: list[tuple[str, Change, list[str]]] = [
    (
        "SQL text as a table",
        lambda led: first_delete(led).update(table="customers; DROP TABLE orders"),
        ["spec.entries[0].deletes[0].table", "should match"],
    ),
    (
        "a quoted column",
        lambda led: first_delete(led).update(column='id" OR "1"="1'),
        ["spec.entries[0].deletes[0].column", "should match"],
    ),
    (
        "one request id twice",
        lambda led: led["spec"]["entries"].append(copy.deepcopy(led["spec"]["entries"][0])),
        ["spec.entries[2]", "Duplicate value"],
    ),
    (
        "a policy listed twice",
        lambda led: led["spec"]["policyRefs"].append({"name": "shop-postgres"}),
        ["spec.policyRefs: list each policy once"],
    ),
    (
        "a delete without key values",
        lambda led: first_delete(led).update(values=[]),
        ["spec.entries[0].deletes[0].values", "should have at least 1 items"],
    ),
]


@pytest.mark.parametrize(("case", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_ledger_is_refused_naming_the_field(
    cluster: LocalCluster, namespace: str, case: str, change: Change, expected: list[str]
) -> None:
    given_strongroom_crds(cluster)
    ledger = good_ledger()
    change(ledger)
    result = cluster.kubectl(
        "apply", "--dry-run=server", "-n", namespace, "-f", "-",
        input=yaml.safe_dump(ledger), check=False,
    )  # fmt: skip
    assert result.returncode != 0, f"{case}: accepted"
    for text in expected:
        assert text in result.stderr, f"{case}: {result.stderr}"
