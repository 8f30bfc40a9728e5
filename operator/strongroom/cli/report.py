"""``strongroom report``: the compliance evidence an auditor asks for, from the live cluster.

Reads BackupPolicies and Backups (and, for coverage, Services and StatefulSets) with the same
Kubernetes client the operator uses, builds a
:class:`~strongroom.compliance.report.ComplianceReport` with the operator's own compliance
function, optionally adds the audit trail read from a bucket, and renders it as a rich table
(default on a terminal), JSON (default otherwise), CSV or Markdown. ``strongroom status`` is the
quick view of what the operator last wrote; this command recomputes and explains.

Exit code: 0 when every policy is compliant, no database is unprotected and the audit trail
read shows no unfinished retention deletion, 1 otherwise, 2 when the cluster or the bucket
cannot be read.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strongroom.audit.record import AuditRecord
    from strongroom.kube.base import Body, KubeClient

FORMATS = ("table", "json", "csv", "markdown")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom report``."""
    parser = subparsers.add_parser(
        "report",
        help="compliance report: RPO, retention, key age, verified restores, coverage, audit",
        description=(
            "Recompute every BackupPolicy's compliance from its Backups (the same verdicts the "
            "operator exports as metrics), list databases no policy protects, and optionally "
            "add the audit trail stored in a bucket."
        ),
    )
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", default="default", help="namespace to report")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="report every namespace")
    parser.add_argument(
        "--policy", action="append", default=[], help="only this policy (repeatable)"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="output format; default table on a terminal, json otherwise",
    )
    parser.add_argument("-o", "--output", type=Path, default=None, help="write to this file")
    parser.add_argument("--kubeconfig", type=Path, default=None, help="kubeconfig file")
    parser.add_argument(
        "--no-coverage", action="store_true", help="skip the scan for unprotected databases"
    )
    audit = parser.add_argument_group("audit trail (read from the bucket beside the backups)")
    audit.add_argument("--audit-bucket", default=None, help="bucket holding the audit records")
    audit.add_argument(
        "--audit-from-policy",
        action="store_true",
        help="read each reported policy's audit trail from its own spec.storage bucket",
    )
    audit.add_argument("--audit-prefix", default="", help="key prefix (spec.storage.prefix)")
    audit.add_argument("--audit-endpoint", default=None, help="S3 endpoint URL (not AWS)")
    audit.add_argument("--audit-region", default="us-east-1", help="region to sign for")
    audit.add_argument(
        "--audit-credentials-file",
        type=Path,
        default=None,
        help="AWS-style credentials ini file; default: the AWS credential chain",
    )
    audit.add_argument(
        "--audit-path-style", action="store_true", help="path-style addressing (MinIO, moto)"
    )
    audit.add_argument(
        "--since", default=None, help="audit records from (RFC 3339, or an age like 30d)"
    )
    audit.add_argument("--until", default=None, help="audit records before (RFC 3339 or age)")
    parser.set_defaults(handler=run)


def parse_moment(text: str | None, now: datetime) -> datetime | None:
    """Return an RFC 3339 time, or ``now`` minus a duration such as ``30d``; naive = UTC."""
    if text is None:
        return None
    from strongroom.api.common import Duration  # noqa: PLC0415

    try:
        return now - Duration(text).to_timedelta()
    except ValueError:
        pass
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Snapshot:
    """What was read from the cluster for one report.

    ``every_policy`` ignores ``--policy``: coverage subtracts what any policy protects.
    """

    policies: list[Body]
    every_policy: list[Body]
    backups: list[Body]
    services: list[Body]
    statefulsets: list[Body]
    notes: list[str]


async def read_cluster(
    kube: KubeClient, *, namespace: str | None, policies: list[str], coverage: bool
) -> Snapshot:
    """List what the report needs; ``namespace`` ``None`` means every namespace."""
    from strongroom.errors import KubeError  # noqa: PLC0415
    from strongroom.kube.base import BACKUP_POLICIES, BACKUPS  # noqa: PLC0415
    from strongroom.kube.cluster_kinds import SERVICES, STATEFULSETS, everywhere  # noqa: PLC0415

    where = namespace or ""
    every_policy = await kube.list(everywhere(BACKUP_POLICIES), where)
    found = [p for p in every_policy if not policies or p["metadata"]["name"] in policies]
    backups = await kube.list(everywhere(BACKUPS), where)
    services: list[Body] = []
    statefulsets: list[Body] = []
    notes: list[str] = []
    if coverage:
        try:
            services = await kube.list(everywhere(SERVICES), where)
            statefulsets = await kube.list(everywhere(STATEFULSETS), where)
        except KubeError as exc:
            notes.append(f"coverage: Services/StatefulSets could not be listed ({exc})")
    else:
        notes.append("coverage: skipped (--no-coverage)")
    return Snapshot(found, every_policy, backups, services, statefulsets, notes)


def read_audit(args: argparse.Namespace, policies: list[Body], now: datetime) -> list[AuditRecord]:
    """Return the audit records the flags ask for (none without an audit source)."""
    from strongroom.audit.sink import read_trail  # noqa: PLC0415
    from strongroom.storage.config import StorageConfig  # noqa: PLC0415
    from strongroom.storage.s3 import S3ObjectStore  # noqa: PLC0415

    since, until = parse_moment(args.since, now), parse_moment(args.until, now)
    sources: list[tuple[StorageConfig, str, str | None, str | None]] = []
    namespace = None if args.all_namespaces else args.namespace
    if args.audit_bucket:
        config = StorageConfig(
            bucket=args.audit_bucket,
            region=args.audit_region,
            endpoint_url=args.audit_endpoint,
            credentials_file=args.audit_credentials_file,
            force_path_style=args.audit_path_style,
        )
        only = args.policy[0] if len(args.policy) == 1 and namespace else None
        sources.append((config, args.audit_prefix, namespace, only))
    if args.audit_from_policy:
        for policy in policies:
            storage = (policy.get("spec") or {}).get("storage") or {}
            config = StorageConfig(
                bucket=str(storage.get("bucket")),
                region=str(storage.get("region") or args.audit_region),
                endpoint_url=storage.get("endpoint") or args.audit_endpoint,
                credentials_file=args.audit_credentials_file,
                force_path_style=bool(storage.get("forcePathStyle")) or args.audit_path_style,
            )
            meta = policy["metadata"]
            sources.append(
                (config, str(storage.get("prefix") or ""), meta["namespace"], meta["name"])
            )
    records: dict[str, AuditRecord] = {}
    for config, prefix, ns, name in sources:
        store = S3ObjectStore(config)
        for record in read_trail(
            store, prefix, namespace=ns, policy=name, since=since, until=until
        ):
            records.setdefault(record.to_line(), record)
    return sorted(records.values(), key=lambda r: r.time)


def audit_notes(args: argparse.Namespace) -> list[str]:
    """Say what the audit flags leave unchecked, so no unfinished deletion passes for none."""
    what = "unfinished retention deletions"
    if not (args.audit_bucket or args.audit_from_policy):
        return [f"{what}: not checked (no audit trail read; --audit-from-policy or --audit-bucket)"]
    if args.since or args.until:
        why = "a deletion started before --since is not seen, one completed after --until is"
        return [f"{what}: only within --since/--until; {why} listed"]
    return []


def run(args: argparse.Namespace) -> int:
    """Build and print the report; see the module docstring for exit codes."""
    from strongroom.errors import StrongroomError  # noqa: PLC0415

    try:
        return asyncio.run(_run(args))
    except StrongroomError as exc:
        print(f"strongroom report: {exc}", file=sys.stderr)  # noqa: T201
        return 2


async def _run(args: argparse.Namespace) -> int:
    from strongroom.compliance.render import RENDERERS  # noqa: PLC0415
    from strongroom.compliance.report import build_report  # noqa: PLC0415
    from strongroom.compliance.table import print_table  # noqa: PLC0415
    from strongroom.kube.client import RealKube  # noqa: PLC0415
    from strongroom.planner.coverage import unprotected_databases  # noqa: PLC0415

    kube = await RealKube.connect(args.kubeconfig)
    try:
        snap = await read_cluster(
            kube,
            namespace=None if args.all_namespaces else args.namespace,
            policies=args.policy,
            coverage=not args.no_coverage,
        )
    finally:
        await kube.close()
    now = datetime.now(UTC)
    audit = read_audit(args, snap.policies, now)
    snap.notes.extend(audit_notes(args))
    report = build_report(
        snap.policies,
        snap.backups,
        now,
        unprotected=unprotected_databases(snap.services, snap.statefulsets, snap.every_policy),
        audit=audit,
        notes=snap.notes,
    )
    fmt = args.format or ("table" if sys.stdout.isatty() and args.output is None else "json")
    if fmt == "table":
        _print_table(print_table, report, args.output)
    else:
        text = RENDERERS[fmt](report)
        if args.output is not None:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    return 0 if report.compliant else 1


def _print_table(printer: Any, report: Any, output: Path | None) -> None:
    from rich.console import Console  # noqa: PLC0415

    if output is None:
        printer(report, Console())
        return
    with output.open("w", encoding="utf-8") as handle:
        printer(report, Console(file=handle, width=200))
