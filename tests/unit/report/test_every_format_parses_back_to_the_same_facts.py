"""JSON, CSV, Markdown and the terminal table carry the same facts, and each parses back."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from report_world import NOW, backup_body, healthy_backups, policy_body
from rich.console import Console

from strongroom.audit import AuditAction, AuditRecord, AuditResult
from strongroom.compliance import ComplianceReport, build_report
from strongroom.compliance.render import (
    CSV_COLUMNS,
    SUMMARY_HEADER,
    to_csv,
    to_json,
    to_markdown,
)
from strongroom.compliance.table import print_table
from strongroom.planner.coverage import Unprotected


def sample() -> ComplianceReport:
    failing = policy_body("payments", key_created=NOW - timedelta(days=200))
    backups = [
        *healthy_backups(),
        backup_body(NOW - timedelta(days=5), policy="payments", phase="Failed"),
    ]
    audit = AuditRecord(
        time=NOW - timedelta(hours=5),
        actor="system:serviceaccount:strongroom:operator",
        action=AuditAction.VERIFICATION,
        namespace="shop",
        policy="orders",
        backup="orders-202611230300",
        key_id="orders-ring",
        key_version=3,
        result=AuditResult.SUCCEEDED,
        reason="VerificationPassed",
    )
    finding = Unprotected("Service", "shop", "legacy|db", "mysql", "looks like mysql (port 3306)")
    return build_report(
        [failing, policy_body()], backups, NOW, unprotected=[finding], audit=[audit]
    )


def test_json_holds_every_policy_check_finding_and_audit_record() -> None:
    body = json.loads(to_json(sample()))
    assert body["generatedAt"] == "2026-11-23T09:00:00Z"
    assert body["compliant"] is False
    assert [(p["namespace"], p["name"], p["compliant"]) for p in body["policies"]] == [
        ("shop", "orders", "True"),
        ("shop", "payments", "False"),
    ]
    orders, payments = body["policies"]
    assert set(orders["checks"]) == {"rpo", "retention", "encryption", "verification"}
    assert orders["verification"]["level"] == "equivalence"
    assert orders["verification"]["measuredRTOSeconds"] == 95.0
    assert orders["encryption"]["keyVersion"] == 3
    assert payments["checks"]["encryption"]["reason"] == "KeyTooOld"
    assert payments["openFailures"] == ["payments-202611180900: backup failed"]
    assert body["unprotectedDatabases"][0]["name"] == "legacy|db"
    assert body["auditTrail"][0]["action"] == "verification"
    assert body["auditTrail"][0]["keyVersion"] == 3


def test_csv_has_one_row_per_policy_under_a_fixed_header() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(sample()))))
    assert len(rows) == 2
    assert tuple(rows[0]) == CSV_COLUMNS
    orders, payments = rows
    assert (orders["policy"], orders["compliant"], orders["rpo"]) == ("orders", "True", "True")
    assert orders["key_age_seconds"] == str(10 * 86400)
    assert orders["verified_level"] == "equivalence"
    assert (payments["compliant"], payments["encryption"]) == ("False", "False")
    assert "older than the rotation period" in payments["reasons"]


def test_markdown_tables_are_well_formed() -> None:
    text = to_markdown(sample())
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    assert len(tables) == 3  # policies, unprotected databases, audit trail
    for table in tables:
        widths = {len(row.replace("\\|", "").split("|")) for row in table}
        assert len(widths) == 1, table
        assert set(table[1].replace("|", "")) == {"-"}
    policies = tables[0]
    assert policies[0] == "| " + " | ".join(SUMMARY_HEADER) + " |"
    assert len(policies) == 2 + 2
    assert "legacy\\|db" in tables[1][2]
    assert "**not compliant**" in text


def test_the_terminal_table_names_every_policy() -> None:
    out = io.StringIO()
    print_table(sample(), Console(file=out, width=250, color_system=None))
    text = out.getvalue()
    assert "shop/orders" in text
    assert "shop/payments" in text
    assert "Unprotected databases" in text
    assert "Audit trail" in text


def test_notes_say_what_was_not_checked() -> None:
    report = build_report([], [], NOW, notes=["coverage: skipped (--no-coverage)"])
    assert json.loads(to_json(report))["notes"] == ["coverage: skipped (--no-coverage)"]
    assert "## Not checked" in to_markdown(report)
