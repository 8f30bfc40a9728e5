"""The report as rich tables on a terminal, coloured by verdict (``--format table``).

Kept apart from :mod:`strongroom.compliance.render` so the machine formats never import rich;
the rows are the same :func:`~strongroom.compliance.render.summary_rows` Markdown uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strongroom.compliance.render import (
    SUMMARY_HEADER,
    UNFINISHED_HEADER,
    iso,
    summary_rows,
    unfinished_rows,
    verdict_line,
)
from strongroom.compliance.report import ComplianceReport


def print_table(report: ComplianceReport, console: Any = None) -> None:
    """Print the report as rich tables to ``console`` (a ``rich.console.Console``)."""
    from rich.console import Console  # noqa: PLC0415 - rich only where a person looks
    from rich.table import Table  # noqa: PLC0415

    out = console or Console()
    table = Table(title=f"Strongroom compliance report — {iso(report.generated_at)}")
    for column in SUMMARY_HEADER:
        table.add_column(column, overflow="fold")
    for row in summary_rows(report):
        style = {"True": "green", "False": "red"}.get(row[1], "yellow")
        table.add_row(*row, style=style)
    out.print(table)
    colour = "green" if report.compliant else "red"
    out.print(f"Overall: [{colour}]{verdict_line(report)}[/{colour}]")
    for note in report.notes:
        out.print(f"[yellow]not checked:[/yellow] {note}")
    if report.unprotected:
        _findings(
            out,
            "Unprotected databases",
            ("Kind", "Namespace", "Name", "Engine", "Reason"),
            [[u.kind, u.namespace, u.name, u.engine, u.reason] for u in report.unprotected],
        )
    if report.unfinished:
        _findings(out, "Unfinished retention deletions", UNFINISHED_HEADER, unfinished_rows(report))
    if report.audit:
        trail = Table(title="Audit trail")
        for column in ("Time", "Actor", "Action", "Policy", "Backup", "Result", "Reason"):
            trail.add_column(column, overflow="fold")
        for r in report.audit:
            trail.add_row(
                iso(r.time) or "",
                r.actor,
                r.action.value,
                f"{r.namespace}/{r.policy}",
                r.backup or "",
                r.result.value,
                r.reason,
            )
        out.print(trail)


def _findings(out: Any, title: str, header: Sequence[str], rows: list[list[str]]) -> None:
    """Print one table of findings that make the report not compliant, in red."""
    from rich.table import Table  # noqa: PLC0415

    table = Table(title=title)
    for column in header:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row, style="red")
    out.print(table)
