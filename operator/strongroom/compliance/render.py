"""Rendering a :class:`~strongroom.compliance.report.ComplianceReport` as JSON, CSV or Markdown.

Why separate from the model: every format shows the same facts, and tests parse each format
back (``json``, ``csv``, a Markdown table's shape) to check that nothing is lost or invented.
JSON is the complete, machine-readable form (camelCase keys, RFC 3339 times); CSV has one row
per policy with the columns of :data:`CSV_COLUMNS`; Markdown (and the rich table of
:mod:`strongroom.compliance.table`) are for people.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from strongroom.compliance.report import ComplianceReport, PolicyReport, UnfinishedDeletion
from strongroom.planner.compliance import human

CHECKS: Final = ("rpo", "retention", "encryption", "verification")
CSV_COLUMNS: Final = (
    "namespace",
    "policy",
    "engine",
    "compliant",
    *CHECKS,
    "rpo_objective",
    "newest_backup",
    "recovery_point",
    "retention_rules",
    "retained_backups",
    "past_deadline",
    "unfinished_deletions",
    "key_id",
    "key_version",
    "key_age_seconds",
    "rotation_period",
    "last_verified",
    "last_verified_at",
    "verified_level",
    "measured_rto_seconds",
    "rto_objective",
    "open_failures",
    "reasons",
)


def iso(moment: datetime | None) -> str | None:
    """Return ``moment`` as RFC 3339 UTC with a ``Z`` (``None`` stays ``None``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _check_status(policy: PolicyReport, name: str) -> str:
    found = policy.check(name)
    return found.status if found else "Unknown"


def _reasons(policy: PolicyReport) -> str:
    if policy.spec_error:
        return policy.spec_error
    failing = [f"{c.check}: {c.message}" for c in policy.checks if c.status != "True"]
    return "; ".join(failing)


def policy_json(policy: PolicyReport) -> dict[str, Any]:
    """Return one policy's report as a JSON-ready dict."""
    return {
        "namespace": policy.namespace,
        "name": policy.name,
        "engine": policy.engine,
        "suspended": policy.suspended,
        "compliant": policy.compliant,
        "compliantReason": policy.compliant_reason,
        "specError": policy.spec_error,
        "checks": {
            c.check: {"status": c.status, "reason": c.reason, "message": c.message}
            for c in policy.checks
        },
        "rpo": {
            "objective": policy.rpo,
            "met": _check_status(policy, "rpo"),
            "newestBackup": policy.newest_backup,
            "recoveryPoint": iso(policy.newest_recovery_point),
        },
        "retention": {
            "rules": policy.retention_rules,
            "retainedBackups": policy.retained_backups,
            "pastDeadline": list(policy.past_deadline),
            "unfinishedDeletions": list(policy.unfinished_deletions),
            "enforced": _check_status(policy, "retention"),
        },
        "encryption": {
            "keyId": policy.key_id,
            "keyVersion": policy.key_version,
            "keyCreated": iso(policy.key_created),
            "keyAgeSeconds": policy.key_age_seconds,
            "rotationPeriod": policy.rotation_period,
            "kms": policy.kms,
            "withinRotation": _check_status(policy, "encryption"),
        },
        "verification": {
            "lastVerified": policy.last_verified,
            "time": iso(policy.last_verified_at),
            "level": policy.last_verified_level,
            "measuredRTOSeconds": policy.measured_rto_seconds,
            "rtoObjective": policy.rto,
            "rtoMet": policy.rto_met,
            "recent": _check_status(policy, "verification"),
        },
        "openFailures": list(policy.open_failures),
    }


def unfinished_json(found: UnfinishedDeletion) -> dict[str, Any]:
    """Return one unfinished retention deletion as a JSON-ready dict."""
    return {
        "namespace": found.namespace,
        "policy": found.policy,
        "backup": found.backup,
        "started": iso(found.started),
        "attempts": found.attempts,
        "reason": found.reason,
        "dataExists": found.data_exists,
        "manifestExists": found.manifest_exists,
        "backupListed": found.backup_listed,
        "finding": found.finding,
    }


def to_json(report: ComplianceReport) -> str:
    """Return the complete report as pretty JSON."""
    body = {
        "generatedAt": iso(report.generated_at),
        "compliant": report.compliant,
        "findings": list(report.findings),
        "policies": [policy_json(p) for p in report.policies],
        "unprotectedDatabases": [
            {
                "kind": u.kind,
                "namespace": u.namespace,
                "name": u.name,
                "engine": u.engine,
                "reason": u.reason,
            }
            for u in report.unprotected
        ],
        "unfinishedDeletions": [unfinished_json(u) for u in report.unfinished],
        "auditTrail": [r.to_json() for r in report.audit],
        "notes": list(report.notes),
    }
    return json.dumps(body, indent=2, sort_keys=False) + "\n"


def csv_row(policy: PolicyReport) -> dict[str, str]:
    """Return one policy as a CSV row (every value a string; empty means none)."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return iso(value) or ""
        return str(value)

    return {
        "namespace": policy.namespace,
        "policy": policy.name,
        "engine": text(policy.engine),
        "compliant": policy.compliant,
        **{name: _check_status(policy, name) for name in CHECKS},
        "rpo_objective": text(policy.rpo),
        "newest_backup": text(policy.newest_backup),
        "recovery_point": text(policy.newest_recovery_point),
        "retention_rules": policy.retention_rules,
        "retained_backups": str(policy.retained_backups),
        "past_deadline": " ".join(policy.past_deadline),
        "unfinished_deletions": " ".join(policy.unfinished_deletions),
        "key_id": text(policy.key_id),
        "key_version": text(policy.key_version),
        "key_age_seconds": text(
            int(policy.key_age_seconds) if policy.key_age_seconds is not None else None
        ),
        "rotation_period": text(policy.rotation_period),
        "last_verified": text(policy.last_verified),
        "last_verified_at": text(policy.last_verified_at),
        "verified_level": text(policy.last_verified_level),
        "measured_rto_seconds": text(policy.measured_rto_seconds),
        "rto_objective": text(policy.rto),
        "open_failures": "; ".join(policy.open_failures),
        "reasons": _reasons(policy),
    }


def to_csv(report: ComplianceReport) -> str:
    """Return one CSV row per policy, with a header row of :data:`CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for policy in report.policies:
        writer.writerow(csv_row(policy))
    return out.getvalue()


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def verdict_line(report: ComplianceReport) -> str:
    """Return the overall verdict with a count of each kind of finding behind it."""
    if report.compliant:
        return "compliant"
    return "not compliant" + (f" ({', '.join(report.findings)})" if report.findings else "")


UNFINISHED_HEADER: Final = (
    "Policy",
    "Backup",
    "Started",
    "Attempts",
    "Data existed",
    "Manifest existed",
    "Backup object",
    "Finding",
)


def unfinished_rows(report: ComplianceReport) -> list[list[str]]:
    """Return the unfinished retention deletions as rows (Markdown and the terminal table)."""

    def flag(value: bool | None) -> str:
        return "unknown" if value is None else ("yes" if value else "no")

    return [
        [
            f"{u.namespace}/{u.policy}",
            u.backup,
            iso(u.started) or "",
            str(u.attempts),
            flag(u.data_exists),
            flag(u.manifest_exists),
            "Terminating" if u.backup_listed else "gone",
            u.finding,
        ]
        for u in report.unfinished
    ]


def _age(report: ComplianceReport, moment: datetime | None) -> str:
    return f"{human(report.generated_at - moment)} ago" if moment else "never"


def summary_rows(report: ComplianceReport) -> list[list[str]]:
    """Return the people-facing rows shared by the Markdown and the terminal table."""
    rows: list[list[str]] = []
    for p in report.policies:
        key = f"{p.key_id or '-'} v{p.key_version}" if p.key_version is not None else p.key_id
        rto = f"{p.measured_rto_seconds:.0f}s" if p.measured_rto_seconds is not None else "-"
        rows.append(
            [
                f"{p.namespace}/{p.name}",
                p.compliant,
                f"{p.rpo or '-'} ({_check_status(p, 'rpo')})",
                f"{_age(report, p.newest_recovery_point)}",
                f"{p.retention_rules} ({_check_status(p, 'retention')})",
                f"{key or '-'}, {_age(report, p.key_created)} / {p.rotation_period or 'KMS'}",
                f"{p.last_verified or 'never'} {p.last_verified_level or ''}".strip(),
                f"{rto} / {p.rto or '-'}",
                "; ".join(p.open_failures) or "-",
                _reasons(p) or "-",
            ]
        )
    return rows


SUMMARY_HEADER: Final = (
    "Policy",
    "Compliant",
    "RPO",
    "Newest backup",
    "Retention",
    "Key (age / rotation)",
    "Last verified",
    "RTO measured / objective",
    "Open failures",
    "Reasons",
)


def to_markdown(report: ComplianceReport) -> str:
    """Return the report as Markdown: policies, unprotected databases, audit trail."""
    lines = [
        "# Strongroom compliance report",
        "",
        f"Generated {iso(report.generated_at)}. Overall: "
        + ("**compliant**" if report.compliant else "**not compliant**")
        + (f" ({', '.join(report.findings)})" if report.findings else ""),
        "",
        "## Policies",
        "",
        *_md_table(SUMMARY_HEADER, summary_rows(report)),
        "",
        "## Unprotected databases",
        "",
    ]
    if report.unprotected:
        lines += _md_table(
            ("Kind", "Namespace", "Name", "Engine", "Reason"),
            [[u.kind, u.namespace, u.name, u.engine, u.reason] for u in report.unprotected],
        )
    else:
        lines.append("None found.")
    if report.unfinished:
        lines += ["", "## Unfinished retention deletions", ""]
        lines += _md_table(UNFINISHED_HEADER, unfinished_rows(report))
    elif report.audit:
        lines += ["", "## Unfinished retention deletions", "", "None in the audit trail read."]
    if report.notes:
        lines += ["", "## Not checked", "", *(f"- {note}" for note in report.notes)]
    if report.audit:
        lines += ["", "## Audit trail", ""]
        lines += _md_table(
            ("Time", "Actor", "Action", "Policy", "Backup", "Key", "Result", "Reason"),
            [
                [
                    iso(r.time) or "",
                    r.actor,
                    r.action.value,
                    f"{r.namespace}/{r.policy}",
                    r.backup or "",
                    f"{r.key_id or ''} v{r.key_version}" if r.key_version is not None else "",
                    r.result.value,
                    r.reason,
                ]
                for r in report.audit
            ],
        )
    return "\n".join(lines) + "\n"


RENDERERS: Final[dict[str, Callable[[ComplianceReport], str]]] = {
    "json": to_json,
    "csv": to_csv,
    "markdown": to_markdown,
}
