"""Write the values table of charts/strongroom/README.md from the `# --` comments in values.yaml.

Usage: python hack/chart_docs.py [--check]. With --check, exit 1 if the README is out of date
(a unit test runs the same comparison). The helm-docs convention: a `# --` comment block sits
above the key it documents; continuation lines start with `#`.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

CHART = Path(__file__).resolve().parents[1] / "charts" / "strongroom"
BEGIN, END = "<!-- values:begin -->", "<!-- values:end -->"
#: Defaults longer than this (resources, security contexts) are left to values.yaml itself.
_MAX_DEFAULT = 60
_KEY = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z][\w-]*):")


def documented(values_text: str) -> list[tuple[str, str]]:
    """(dotted key, description) for every key with a `# --` comment, in file order."""
    rows: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []
    comment: list[str] | None = None
    for line in values_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped.removeprefix("# --").strip()]
            continue
        if stripped.startswith("#"):
            if comment is not None:
                comment.append(stripped.lstrip("#").strip())
            continue
        match = _KEY.match(line)
        if not match:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        if comment is not None:
            rows.append((".".join(key for _, key in stack), " ".join(comment)))
        comment = None
    return rows


def _lookup(values: dict[str, object], dotted: str) -> object:
    node: object = values
    for key in dotted.split("."):
        node = node[key] if isinstance(node, dict) else None
    return node


def table() -> str:
    """The markdown table of every documented value with its default."""
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    lines = ["| Key | Default | Description |", "|---|---|---|"]
    for key, description in documented(text):
        default = json.dumps(_lookup(values, key), separators=(",", ":"))
        cell = default if len(default) <= _MAX_DEFAULT else "see values.yaml"
        escaped = description.replace("|", r"\|")
        lines.append(f"| `{key}` | `{cell}` | {escaped} |")
    return "\n".join(lines)


def render(readme: str) -> str:
    """The README with the table between the markers replaced."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite (or with --check, compare) the README's values table."""
    path = CHART / "README.md"
    current = path.read_text()
    wanted = render(current)
    if "--check" in argv:
        if current != wanted:
            print("charts/strongroom/README.md is out of date: run `make chart-docs`")
            return 1
        return 0
    path.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
