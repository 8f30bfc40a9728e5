"""The models accept every documented example and refuse bad specs with the field's name.

They mirror the CRD's CEL rules, so Python callers (the CLI, tests, the controller) get the
same refusal the API server gives.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from strongroom.api import (
    BackupPolicySpec,
    BackupSpec,
    DatabaseSpec,
    EncryptionSpec,
    Engine,
    ErasureLedgerSpec,
    LocalObjectRef,
    RestoreSpec,
    TLSMode,
    VerificationLevel,
)

EXAMPLES = Path(__file__).parents[3] / "docs" / "examples"
SPECS: dict[str, type[BaseModel]] = {
    "BackupPolicy": BackupPolicySpec,
    "Backup": BackupSpec,
    "Restore": RestoreSpec,
    "ErasureLedger": ErasureLedgerSpec,
}


def example_documents() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        docs.extend((path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def good_policy() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load((EXAMPLES / "01-policy-postgres.yaml").read_text())["spec"])


def test_there_are_examples_of_every_kind() -> None:
    assert {doc["kind"] for _, doc in example_documents()} == set(SPECS)


@pytest.mark.parametrize(
    ("name", "doc"), example_documents(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_docs_example_validates(name: str, doc: dict[str, Any]) -> None:
    SPECS[doc["kind"]].model_validate(doc["spec"])


def test_defaults_fill_in_what_the_user_left_out() -> None:
    spec = BackupPolicySpec.model_validate(good_policy())
    assert spec.database.effective_port == 5432
    assert spec.verification.level is VerificationLevel.EQUIVALENCE
    minimal = DatabaseSpec(
        engine=Engine.MYSQL, host="db", database="x", credentials_secret_ref={"name": "s"}
    )  # type: ignore[arg-type]
    assert minimal.effective_port == 3306
    assert minimal.tls.mode is TLSMode.VERIFY_FULL
    assert minimal.credentials_secret_ref.password_key == "password"


def test_specs_round_trip_through_camel_case_json() -> None:
    spec = BackupPolicySpec.model_validate(good_policy())
    dumped = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["schedule"]["timeZone"] == "Europe/Berlin"
    assert BackupPolicySpec.model_validate(dumped) == spec


def mutate(path: str, value: Any) -> dict[str, Any]:
    spec = good_policy()
    *parents, leaf = path.split(".")
    node = spec
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return spec


DELETE = object()

BAD = [
    ("schedule.cron", "every day at 3", "spec.schedule.cron: must be a 5-field cron expression"),
    ("schedule.cron", "0 0 3 * * *", "spec.schedule.cron"),
    ("schedule.timeZone", "Mars/Olympus Mons", "spec.schedule.timeZone: must be an IANA time zone"),
    ("retention", {"keepLast": 0, "maxAge": "30d"}, "spec.retention: keeps nothing"),
    ("objectives.rpo", "30s", "spec.objectives.rpo: must be at least one minute"),
    ("objectives.rpo", "0h", "spec.objectives.rpo: must be at least one minute"),
    (
        "encryption",
        {"rotationPeriod": "90d"},
        "spec.encryption: no key is set, and encryption cannot be turned off",
    ),
    ("encryption", {"enabled": False}, "encryption cannot be turned off"),
    ("encryption", "none", "encryption cannot be turned off"),
    ("encryption", DELETE, "encryption\n  Field required"),
    (
        "encryption.kmsKeyId",
        "arn:aws:kms:eu-west-1:1:key/k",
        "spec.encryption: keyRingSecretRef and kmsKeyId are both set",
    ),
    ("storage.region", "us-east-1", "spec.storage.region: not in spec.storage.allowedRegions"),
    ("retention.maxAge", "30 days", "retention.maxAge\n  Value error, duration '30 days'"),
    (
        "verification.everyNthBackup",
        3,
        "spec.verification: schedule and everyNthBackup are both set",
    ),
    ("verification.level", "integrity", "spec.verification.assertions: need a restored database"),
    (
        "database.tls",
        {"mode": "disable", "caSecretRef": {"name": "ca", "key": "ca.crt"}},
        "spec.database.tls.caSecretRef",
    ),
    ("database.engine", "oracle", "database.engine\n  Input should be 'postgresql' or 'mysql'"),
    ("database.surprise", True, "database.surprise\n  Extra inputs are not permitted"),
]


@pytest.mark.parametrize(
    ("path", "value", "message"), BAD, ids=[f"{p}={v!r}"[:40] for p, v, _ in BAD]
)
def test_bad_policies_are_refused_naming_the_field(path: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        BackupPolicySpec.model_validate(mutate(path, value))
    assert message in str(caught.value)


def test_kms_region_outside_allowed_regions_is_refused() -> None:
    spec = mutate("encryption", {"kmsKeyId": "k", "kmsRegion": "us-east-1"})
    with pytest.raises(
        ValidationError, match=r"spec\.encryption\.kmsRegion: not in spec\.storage\.allowedRegions"
    ):
        BackupPolicySpec.model_validate(spec)


def test_a_restore_needs_exactly_one_source() -> None:
    target = {"host": "db", "database": "shop", "credentialsSecretRef": {"name": "s"}}
    with pytest.raises(ValidationError, match="set exactly one source"):
        RestoreSpec.model_validate({"target": target})
    with pytest.raises(ValidationError, match="set exactly one source"):
        RestoreSpec.model_validate(
            {
                "target": target,
                "backupRef": {"name": "b"},
                "policyRef": {"name": "p"},
                "latestVerified": True,
            }
        )
    with pytest.raises(ValidationError, match=r"spec\.latestVerified: needs policyRef\.name"):
        RestoreSpec.model_validate(
            {"target": target, "latestVerified": True, "backupRef": {"name": "b"}}
        )
    restore = RestoreSpec.model_validate({"target": target, "backupRef": {"name": "b"}})
    assert (restore.allow_overwrite, restore.replay_erasure_ledger) == (False, True)


def test_models_are_frozen() -> None:
    spec = BackupPolicySpec.model_validate(good_policy())
    with pytest.raises(ValidationError):
        spec.suspend = True  # type: ignore[misc]


def test_python_callers_can_build_specs_from_model_instances() -> None:
    spec = BackupPolicySpec.model_validate(good_policy())
    encryption = EncryptionSpec(key_ring_secret_ref=LocalObjectRef(name="ring"))
    rebuilt = BackupPolicySpec(**{**dict(spec), "encryption": encryption})
    assert rebuilt.encryption.rotation_period == "90d"
