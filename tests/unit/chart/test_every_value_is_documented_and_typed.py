"""Every values.yaml key has a `# --` comment (on itself or a parent) and a schema entry."""

import json
import re
from pathlib import Path

import yaml

CHART = Path(__file__).parents[3] / "charts" / "strongroom"
KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][\w-]*):")


def documented_paths() -> dict[tuple[str, ...], bool]:
    """Each key path in values.yaml → whether a `# --` comment block sits right above it."""
    result: dict[tuple[str, ...], bool] = {}
    stack: list[tuple[int, str]] = []
    comment = False
    for line in (CHART / "values.yaml").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = True
            continue
        if stripped.startswith("#"):
            continue  # a continuation line keeps the block open
        match = KEY.match(line)
        if not match:
            comment = comment and not stripped
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        result[tuple(key for _, key in stack)] = comment
        comment = False
    return result


def leaf_paths(value, prefix=()):
    if isinstance(value, dict) and value:
        for key, child in value.items():
            yield from leaf_paths(child, (*prefix, key))
    else:
        yield prefix


def test_every_key_or_an_enclosing_key_is_documented():
    docs = documented_paths()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in leaf_paths(values):
        assert any(docs.get(path[:n]) for n in range(len(path), 0, -1)), (
            f"values.yaml: {'.'.join(path)} has no `# --` comment"
        )


def test_every_key_is_in_the_schema():
    schema = json.loads((CHART / "values.schema.json").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for path in leaf_paths(values):
        node = schema
        for key in path:
            if node.get("type") == "object" and "properties" not in node:
                break  # a free-form object (resources, labels, ...): anything below is allowed
            assert key in node.get("properties", {}), f"values.schema.json lacks {'.'.join(path)}"
            node = node["properties"][key]


def test_the_schema_refuses_unknown_keys_at_every_typed_level():
    def walk(node, where):
        if node.get("type") == "object" and "properties" in node:
            assert node.get("additionalProperties") is False, (
                f"{where or 'top level'} accepts unknown keys"
            )
            for key, child in node["properties"].items():
                walk(child, f"{where}.{key}".lstrip("."))

    walk(json.loads((CHART / "values.schema.json").read_text()), "")
