"""Generate the CustomResourceDefinitions from the pydantic models: one source of truth.

pydantic writes JSON Schema (2020-12, with ``$ref``, ``anyOf`` for optionals, titles); the API
server wants a *structural* OpenAPI v3 schema (every node typed, no ``$ref``, no
``additionalProperties: false`` next to ``properties``). :func:`structural` does that
translation; :func:`crds` adds names, printer columns, short names and the status subresource.
``python -m strongroom.api.crdgen crds/`` writes the files; a unit test asserts that the files on
disk equal the generated ones, so ``crds/`` cannot drift from the models (``make crds``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import yaml
from pydantic import BaseModel

from strongroom.api.backup import BackupSpec, BackupStatus
from strongroom.api.common import API_VERSION, GROUP, VERSION
from strongroom.api.erasure import ErasureLedgerSpec, ErasureLedgerStatus
from strongroom.api.policy import BackupPolicySpec, BackupPolicyStatus
from strongroom.api.restore import RestoreSpec, RestoreStatus

CATEGORIES: Final = ["strongroom"]

# Keys of a pydantic schema node that carry meaning in an OpenAPI v3 structural schema, in
# the order they are written (type and description first, so the YAML reads well).
_KEEP: Final = (
    "type",
    "description",
    "default",
    "enum",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-int-or-string",
    "x-kubernetes-preserve-unknown-fields",
)


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$ref``/single ``allOf`` and collapse optional ``anyOf`` into one node."""
    node = dict(node)
    if "$ref" in node:
        target = defs[node.pop("$ref").rsplit("/", 1)[-1]]
        node = {**_resolve(target, defs), **node}
    if "allOf" in node and len(node["allOf"]) == 1:
        node = {**_resolve(node.pop("allOf")[0], defs), **node}
    if "anyOf" in node:
        branches = [b for b in node.pop("anyOf") if b.get("type") != "null"]
        types = {b.get("type") for b in branches}
        if len(branches) == 1:
            node = {**_resolve(branches[0], defs), **node}
        elif types == {"string", "integer"}:
            node["x-kubernetes-int-or-string"] = True
        else:
            raise ValueError(f"crdgen: cannot express anyOf {branches!r} structurally")
    if "const" in node:
        node["enum"] = [node.pop("const")]
    return node


def structural(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Return ``node`` (a pydantic JSON Schema fragment) as a structural OpenAPI v3 schema."""
    node = _resolve(node, defs)
    out: dict[str, Any] = {k: node[k] for k in _KEEP if k in node}
    if node.get("default") is None:
        out.pop("default", None)
    if "maxItems" not in out and "maxLength" in node and node.get("type") == "array":
        out["maxItems"] = node["maxLength"]
    if node.get("type") == "array":
        out.pop("maxLength", None)
        if "maxItems" in node:
            out["maxItems"] = node["maxItems"]
    if "properties" in out:
        out["properties"] = {k: structural(v, defs) for k, v in out["properties"].items()}
        out.pop("additionalProperties", None)
        out["type"] = "object"
    elif isinstance(out.get("additionalProperties"), dict):
        out["additionalProperties"] = structural(out["additionalProperties"], defs)
        out["type"] = "object"
    elif out.get("additionalProperties") is False:
        out.pop("additionalProperties")
    if "items" in out:
        out["items"] = structural(out["items"], defs)
    if out.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
    return out


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return the structural schema of one model (validation mode, camelCase aliases)."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    return structural(raw, raw.get("$defs", {}))


def _resource_schema(
    kind: str, spec: type[BaseModel], status: type[BaseModel], description: str
) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["spec"],
        "properties": {
            "apiVersion": {
                "type": "string",
                "description": f"Versioned schema of this object: {API_VERSION}.",
            },
            "kind": {"type": "string", "description": f"Kind of this object: {kind}."},
            # The API server owns metadata's schema and refuses anything but its type here.
            "metadata": {"type": "object"},
            "spec": model_schema(spec),
            "status": model_schema(status),
        },
    }


def _date_column(name: str, path: str, priority: int = 0) -> dict[str, Any]:
    column: dict[str, Any] = {"name": name, "type": "date", "jsonPath": path}
    if priority:
        column["priority"] = priority
    return column


_AGE: Final = _date_column("Age", ".metadata.creationTimestamp")


def _crd(
    *,
    kind: str,
    plural: str,
    short_names: list[str],
    schema: dict[str, Any],
    columns: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": short_names,
                "categories": CATEGORIES,
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": columns,
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def crds() -> dict[str, dict[str, Any]]:
    """Return every CRD, keyed by the file name it is written to."""
    policy = _crd(
        kind="BackupPolicy",
        plural="backuppolicies",
        short_names=["sbp"],
        schema=_resource_schema(
            "BackupPolicy",
            BackupPolicySpec,
            BackupPolicyStatus,
            "BackupPolicy is the contract for one database: when it is backed up, how long "
            "backups are kept, how they are encrypted, where they are stored and how often "
            "they are proven restorable.",
        ),
        columns=[
            {"name": "Engine", "type": "string", "jsonPath": ".spec.database.engine"},
            {"name": "Schedule", "type": "string", "jsonPath": ".spec.schedule.cron"},
            _date_column("Last Backup", ".status.lastSuccessfulBackup.time"),
            _date_column("Last Verified", ".status.lastVerified.time"),
            {"name": "Compliant", "type": "string", "jsonPath": ".status.compliant"},
            _date_column("Key Age", ".status.keyRing.primaryCreated", priority=1),
            {
                "name": "Effective Schedule",
                "type": "string",
                "jsonPath": ".status.effectiveSchedule",
                "priority": 1,
            },
            _AGE,
        ],
    )
    backup = _crd(
        kind="Backup",
        plural="backups",
        short_names=["sbk"],
        schema=_resource_schema(
            "Backup",
            BackupSpec,
            BackupStatus,
            "Backup is one run of a BackupPolicy: one encrypted dump in object storage, its "
            "sizes, checksum, key version and verification results.",
        ),
        columns=[
            {"name": "Policy", "type": "string", "jsonPath": ".spec.policyRef.name"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Size", "type": "integer", "jsonPath": ".status.sizeBytes"},
            {"name": "Verified", "type": "string", "jsonPath": ".status.verification.result"},
            {
                "name": "Compared",
                "type": "string",
                "jsonPath": ".status.verification.equivalence",
                "priority": 1,
            },
            {"name": "Slot", "type": "date", "jsonPath": ".spec.scheduledTime", "priority": 1},
            _AGE,
        ],
    )
    restore = _crd(
        kind="Restore",
        plural="restores",
        short_names=["srs"],
        schema=_resource_schema(
            "Restore",
            RestoreSpec,
            RestoreStatus,
            "Restore brings one backup (or the newest verified backup of a policy) back into "
            "a target database, with explicit consent before overwriting anything.",
        ),
        columns=[
            {"name": "Backup", "type": "string", "jsonPath": ".status.backupName"},
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Progress", "type": "string", "jsonPath": ".status.progress", "priority": 1},
            {"name": "Erased Rows", "type": "integer", "jsonPath": ".status.erasure.rowsDeleted"},
            _AGE,
        ],
    )
    ledger = _crd(
        kind="ErasureLedger",
        plural="erasureledgers",
        short_names=["sel"],
        schema=_resource_schema(
            "ErasureLedger",
            ErasureLedgerSpec,
            ErasureLedgerStatus,
            "ErasureLedger lists erased data subjects as deletes by key; every Restore of a "
            "listed policy's backup replays them so erased people stay erased.",
        ),
        columns=[
            {"name": "Entries", "type": "integer", "jsonPath": ".status.entries"},
            _date_column("Last Replay", ".status.lastReplayTime"),
            _AGE,
        ],
    )
    return {
        f"{GROUP}_backuppolicies.yaml": policy,
        f"{GROUP}_backups.yaml": backup,
        f"{GROUP}_restores.yaml": restore,
        f"{GROUP}_erasureledgers.yaml": ledger,
    }


class _NoAliasDumper(yaml.SafeDumper):
    """A YAML dumper that writes repeated values out instead of ``&id001`` anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never use anchors: CRDs are read by people and by tools that dislike aliases."""
        del data
        return True


def render(crd: dict[str, Any]) -> str:
    """Return one CRD as YAML text, exactly as written to ``crds/``."""
    header = "# Generated by `python -m strongroom.api.crdgen crds/` (make crds). Do not edit.\n"
    body = yaml.dump(crd, Dumper=_NoAliasDumper, sort_keys=False, width=100)
    return header + body


def write(directory: Path) -> list[Path]:
    """Write every CRD into ``directory`` and return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, crd in crds().items():
        path = directory / name
        path.write_text(render(crd), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the CRDs into the directory given as the only argument (default ``crds``)."""
    args = sys.argv[1:] if argv is None else argv
    for path in write(Path(args[0] if args else "crds")):
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
