"""``strongroom keys``: look at a policy's key ring, ask for key operations, escrow it.

People never edit the key ring Secret for a rotation or a destruction: ``rotate`` and
``destroy`` only annotate the BackupPolicy (with who asked), and the operator does the work,
re-checking the bucket, and records it (Event and audit record). The request is level-based:
``rotate`` names the primary version to replace, so asking twice or an operator restart never
rotates twice. ``list`` prints versions, states and how many Backups each one wraps, never
key material. ``export`` and ``import`` move the whole ring to and from an escrow file (the
only commands that touch key bytes; the file is created ``0600`` and never overwritten).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.cli import session
from strongroom.cli.session import add_policy_arguments, with_policy

if TYPE_CHECKING:
    from strongroom.crypto.keyring import KeyRing
    from strongroom.kube.base import KubeClient

#: One verb: given the API client, the arguments and the BackupPolicy, return the exit code.
Verb = Callable[["KubeClient", argparse.Namespace, dict[str, Any]], Awaitable[int]]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``strongroom keys`` and its sub-commands."""
    parser = subparsers.add_parser(
        "keys",
        help="rotate, list, destroy, export or import a policy's key ring",
        description="Key ring operations of a BackupPolicy (the operator executes them).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    def common(name: str, text: str) -> argparse.ArgumentParser:
        sub = verbs.add_parser(name, help=text, description=text)
        add_policy_arguments(sub)
        return sub

    rotate = common("rotate", "ask the operator to rotate the key ring now")
    rotate.add_argument("--wait", action="store_true", help="wait until the new version is primary")
    rotate.add_argument("--timeout", type=float, default=300, help="seconds to wait (default 300)")
    rotate.set_defaults(handler=_runner(_rotate))
    common("list", "list key versions, their states and the Backups each wraps").set_defaults(
        handler=_runner(_list)
    )
    destroy = common("destroy", "ask the operator to crypto-shred a retired key version")
    destroy.add_argument("--version", type=int, required=True, help="key version to destroy")
    destroy.set_defaults(handler=_runner(_destroy))
    export = common("export", "write the whole key ring (material included) to an escrow file")
    export.add_argument("-o", "--output", type=Path, required=True, help="file to create (0600)")
    export.set_defaults(handler=_runner(_export))
    imp = common("import", "create the key ring Secret from an escrow file (never overwrites)")
    imp.add_argument("-i", "--input", type=Path, required=True, help="escrow file to read")
    imp.set_defaults(handler=_runner(_import))


def _runner(action: Verb) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from strongroom.errors import StrongroomError  # noqa: PLC0415

        async def on_policy(kube: KubeClient, policy: dict[str, Any]) -> int:
            return await action(kube, args, policy)

        return asyncio.run(with_policy(args, on_policy, handled=StrongroomError))

    return run


def _secret_name(policy: dict[str, Any]) -> str | None:
    encryption = (policy.get("spec") or {}).get("encryption") or {}
    ref = encryption.get("keyRingSecretRef") or {}
    return str(ref["name"]) if ref.get("name") else None


async def _ring(kube: KubeClient, args: argparse.Namespace, policy: dict[str, Any]) -> KeyRing:
    """The policy's key ring read from its Secret; ``ConfigError`` naming the fix otherwise."""
    from strongroom.crypto.keyring import KeyRing  # noqa: PLC0415
    from strongroom.errors import ConfigError  # noqa: PLC0415
    from strongroom.kube.base import SECRETS  # noqa: PLC0415

    name = _secret_name(policy)
    if name is None:
        raise ConfigError(
            f"BackupPolicy {args.policy} uses a KMS key (spec.encryption.kmsKeyId): KMS holds "
            "and rotates that key; there is no key ring to act on"
        )
    secret = await kube.get(SECRETS, args.namespace, name)
    if secret is None:
        raise ConfigError(f"key ring Secret {args.namespace}/{name} does not exist")
    data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
    return KeyRing.from_secret_data(data)


async def _annotate(
    kube: KubeClient, args: argparse.Namespace, annotations: dict[str, str]
) -> dict[str, str]:
    from strongroom.kube.base import BACKUP_POLICIES  # noqa: PLC0415
    from strongroom.planner.rotation import REQUESTED_BY_ANNOTATION  # noqa: PLC0415

    who = await session.whoami(kube) or os.environ.get("USER") or "unknown"
    annotations = {**annotations, REQUESTED_BY_ANNOTATION: who}
    await kube.patch(
        BACKUP_POLICIES, args.namespace, args.policy, {"metadata": {"annotations": annotations}}
    )
    return annotations


async def _rotate(kube: KubeClient, args: argparse.Namespace, policy: dict[str, Any]) -> int:
    from strongroom.kube.base import BACKUP_POLICIES  # noqa: PLC0415
    from strongroom.planner.rotation import ROTATE_ANNOTATION  # noqa: PLC0415

    current = (await _ring(kube, args, policy)).primary().version
    await _annotate(kube, args, {ROTATE_ANNOTATION: str(current)})
    sys.stdout.write(
        f"Asked the operator to replace key version {current} of {args.namespace}/{args.policy}"
        f"; it re-wraps every retained manifest, then retires v{current}.\n"
        f"  kubectl describe backuppolicy {args.policy} -n {args.namespace}\n"
    )
    if not args.wait:
        return EXIT_OK
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        body = await kube.get(BACKUP_POLICIES, args.namespace, args.policy) or {}
        primary = ((body.get("status") or {}).get("keyRing") or {}).get("primaryVersion")
        if isinstance(primary, int) and primary > current:
            sys.stdout.write(f"Key version {primary} is primary.\n")
            return EXIT_OK
        await asyncio.sleep(1)
    sys.stderr.write(f"the rotation did not show in the policy status within {args.timeout:.0f}s\n")
    return EXIT_FAILED


async def _destroy(kube: KubeClient, args: argparse.Namespace, policy: dict[str, Any]) -> int:
    from strongroom.planner.rotation import (  # noqa: PLC0415
        DESTROY_ANNOTATION,
        requested_destruction,
    )

    ring = await _ring(kube, args, policy)
    if ring.get(args.version) is None:
        sys.stderr.write(f"key ring {ring.key_id} has no version {args.version}\n")
        return EXIT_USAGE
    if args.version == ring.primary().version:
        sys.stderr.write(f"v{args.version} is the primary version: rotate first\n")
        return EXIT_USAGE
    asked = set(requested_destruction((policy.get("metadata") or {}).get("annotations") or {}))
    versions = ",".join(str(v) for v in sorted(asked | {args.version}))
    await _annotate(kube, args, {DESTROY_ANNOTATION: versions})
    sys.stdout.write(
        f"Asked the operator to destroy key ring {ring.key_id} v{args.version} once it is "
        "retired and no manifest in the bucket needs it; a refusal is a KeyOperationRefused "
        "Event. Destroy escrow copies made before then too.\n"
    )
    return EXIT_OK


async def _list(kube: KubeClient, args: argparse.Namespace, policy: dict[str, Any]) -> int:
    from strongroom.crypto.header import format_time  # noqa: PLC0415
    from strongroom.kube.base import BACKUPS  # noqa: PLC0415
    from strongroom.manifests.labels import policy_selector  # noqa: PLC0415

    ring = await _ring(kube, args, policy)
    backups = await kube.list(BACKUPS, args.namespace, selector=policy_selector(args.policy))
    wrapping: dict[int, int] = {}
    for backup in backups:
        version = (backup.get("status") or {}).get("keyVersion")
        if isinstance(version, int):
            wrapping[version] = wrapping.get(version, 0) + 1
    rows = [("VERSION", "STATE", "CREATED", "BACKUPS")]
    rows += [
        (str(v.version), str(v.state), format_time(v.created), str(wrapping.get(v.version, 0)))
        for v in ring.versions
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    sys.stdout.write(f"key ring {ring.key_id} of {args.namespace}/{args.policy}\n")
    for row in rows:
        sys.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        sys.stdout.write("\n")
    return EXIT_OK


async def _export(kube: KubeClient, args: argparse.Namespace, policy: dict[str, Any]) -> int:
    ring = await _ring(kube, args, policy)
    try:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        sys.stderr.write(
            f"{args.output} exists; choose a new file (an escrow is never overwritten)\n"
        )
        return EXIT_USAGE
    with os.fdopen(fd, "wb") as out:
        out.write(ring.to_export_json())
    versions = ", ".join(f"v{v.version} {v.state}" for v in ring.versions)
    sys.stdout.write(
        f"Wrote key ring {ring.key_id} ({versions}) to {args.output}. It opens every backup of "
        "this ring: keep it outside the cluster, and export again after each rotation.\n"
    )
    return EXIT_OK


async def _import(kube: KubeClient, args: argparse.Namespace, policy: dict[str, Any]) -> int:
    from strongroom.crypto.keyring import KeyRing  # noqa: PLC0415
    from strongroom.kube.base import SECRETS, AlreadyExists  # noqa: PLC0415
    from strongroom.manifests.secrets import build_key_ring_secret  # noqa: PLC0415

    name = _secret_name(policy)
    if name is None:
        sys.stderr.write(f"BackupPolicy {args.policy} uses a KMS key; nothing to import\n")
        return EXIT_USAGE
    ring = KeyRing.from_export_json(args.input.read_bytes())
    body = build_key_ring_secret(
        name=name, namespace=args.namespace, policy=args.policy, data=ring.to_secret_data()
    )
    if isinstance(await kube.create(SECRETS, args.namespace, body), AlreadyExists):
        sys.stderr.write(
            f"Secret {args.namespace}/{name} exists; import never overwrites a key ring "
            "(delete it first if it is really wrong)\n"
        )
        return EXIT_FAILED
    sys.stdout.write(f"Created key ring Secret {args.namespace}/{name} (key id {ring.key_id}).\n")
    return EXIT_OK
