"""crds/ is exactly what the models generate, and every schema field teaches `kubectl explain`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from strongroom.api.crdgen import crds, render

CRDS = Path(__file__).parents[3] / "crds"


def schema_of(crd: dict[str, Any]) -> dict[str, Any]:
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


def walk(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path or "<root>", node
    for key, child in node.get("properties", {}).items():
        yield from walk(child, f"{path}.{key}")
    if isinstance(node.get("items"), dict):
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}{{}}")


def test_files_on_disk_equal_the_generated_ones() -> None:
    generated = crds()
    on_disk = {p.name for p in CRDS.glob("*.yaml")}
    assert on_disk == set(generated), "run `make crds`"
    for name, crd in generated.items():
        assert (CRDS / name).read_text() == render(crd), f"crds/{name} is stale: run `make crds`"


@pytest.mark.parametrize("name", sorted(crds()))
def test_every_property_has_a_description(name: str) -> None:
    missing = [
        path
        for path, node in walk(schema_of(crds()[name]))
        if path != ".metadata" and not path.endswith(("[]", "{}")) and not node.get("description")
    ]
    assert missing == []


@pytest.mark.parametrize("name", sorted(crds()))
def test_the_schema_is_structural(name: str) -> None:
    for path, node in walk(schema_of(crds()[name])):
        assert "type" in node or node.get("x-kubernetes-int-or-string"), path
        assert not {"$ref", "anyOf", "allOf", "oneOf", "title"} & node.keys(), path
        if "properties" in node:
            assert "additionalProperties" not in node, path


@pytest.mark.parametrize("name", sorted(crds()))
def test_every_cel_rule_has_a_message_naming_a_field(name: str) -> None:
    rules = [
        rule
        for _, node in walk(schema_of(crds()[name]))
        for rule in node.get("x-kubernetes-validations", [])
    ]
    assert rules
    for rule in rules:
        assert rule["message"].startswith("spec"), rule


def test_names_columns_and_categories() -> None:
    policy = crds()["strongroom.dev_backuppolicies.yaml"]["spec"]
    assert policy["names"]["shortNames"] == ["sbp"]
    assert policy["names"]["categories"] == ["strongroom"]
    columns = [c["name"] for c in policy["versions"][0]["additionalPrinterColumns"]]
    assert columns[:5] == ["Engine", "Schedule", "Last Backup", "Last Verified", "Compliant"]
    assert columns[-1] == "Age"
    assert policy["versions"][0]["subresources"] == {"status": {}}
    for crd in crds().values():
        assert crd["spec"]["scope"] == "Namespaced"
        assert crd["spec"]["group"] == "strongroom.dev"


def test_encryption_is_required_and_has_no_off_switch() -> None:
    spec = schema_of(crds()["strongroom.dev_backuppolicies.yaml"])["properties"]["spec"]
    assert "encryption" in spec["required"]
    assert not {"enabled", "mode", "type"} & spec["properties"]["encryption"]["properties"].keys()


def test_rendered_yaml_has_no_anchors() -> None:
    for crd in crds().values():
        text = render(crd)
        assert "&id" not in text
        assert "*id" not in text
        assert yaml.safe_load(text) == crd
