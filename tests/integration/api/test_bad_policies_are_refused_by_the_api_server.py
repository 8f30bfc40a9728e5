"""Each bad BackupPolicy from RELIABILITY.md "Bad input" is refused by the real API server with a
message that names the field and the fix (schema + CEL), before the operator ever sees it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from crd_steps import DOCS, given_strongroom_crds
from tests.support.cluster import LocalCluster

Spec = dict[str, Any]
RETENTION_MESSAGE = (
    "spec.retention: keeps nothing; set keepLast or one of "
    "hourly/daily/weekly/monthly/yearly to at least 1"
)


def good_policy() -> dict[str, Any]:
    return yaml.safe_load((DOCS / "examples" / "01-policy-postgres.yaml").read_text())


def set_in(section: str, **values: Any) -> Callable[[Spec], None]:
    return lambda spec: spec[section].update(values)


def replace(section: str, value: Any) -> Callable[[Spec], None]:
    return lambda spec: spec.__setitem__(section, value)


CASES: list[tuple[str, Callable[[Spec], None], list[str]]] = [
    (
        "bad cron",
        set_in("schedule", cron="every night at 3"),
        ["spec.schedule.cron", "must be a 5-field cron expression"],
    ),
    ("six-field cron", set_in("schedule", cron="0 0 3 * * *"), ["spec.schedule.cron", "5-field"]),
    (
        "time zone of unknown shape",
        set_in("schedule", timeZone="Mars/Olympus Mons"),
        ["spec.schedule.timeZone", "must be an IANA time zone name"],
    ),
    (
        "retention keeping nothing",
        replace("retention", {"keepLast": 0, "daily": 0, "maxAge": "30d"}),
        [
            RETENTION_MESSAGE,
        ],
    ),
    (
        "rpo below a minute",
        set_in("objectives", rpo="30s"),
        ["spec.objectives.rpo", "must be at least one minute"],
    ),
    (
        "missing key reference",
        replace("encryption", {"rotationPeriod": "90d"}),
        ["spec.encryption", "no key is set, and encryption cannot be turned off"],
    ),
    (
        "encryption switched off",
        replace("encryption", {"enabled": False}),
        ['unknown field "spec.encryption.enabled"'],
    ),
    (
        "encryption set to none",
        replace("encryption", "none"),
        ["spec.encryption", "must be of type object"],
    ),
    ("encryption absent", lambda spec: spec.pop("encryption"), ["spec.encryption: Required value"]),
    (
        "storage region outside allowedRegions",
        set_in("storage", region="us-east-1"),
        ["spec.storage.region", "not in spec.storage.allowedRegions"],
    ),
    (
        "both key ring and KMS",
        set_in("encryption", kmsKeyId="arn:aws:kms:eu-central-1:1:key/k"),
        ["spec.encryption", "keyRingSecretRef and kmsKeyId are both set; choose one key source"],
    ),
    (
        "KMS key outside allowedRegions",
        replace("encryption", {"kmsKeyId": "k", "kmsRegion": "us-east-1"}),
        ["spec.encryption.kmsRegion", "not in spec.storage.allowedRegions"],
    ),
    (
        "duration in words",
        set_in("retention", maxAge="30 days"),
        ["spec.retention.maxAge", "should match"],
    ),
    (
        "two verification triggers",
        set_in("verification", everyNthBackup=3),
        ["spec.verification", "schedule and everyNthBackup are both set"],
    ),
]


@pytest.mark.parametrize(("case", "mutate", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_api_server_refuses_a_bad_policy_naming_the_field(
    cluster: LocalCluster,
    namespace: str,
    case: str,
    mutate: Callable[[Spec], None],
    expected: list[str],
) -> None:
    # Given the CRDs and the documented good policy, changed in one place
    given_strongroom_crds(cluster)
    policy = copy.deepcopy(good_policy())
    mutate(policy["spec"])
    # When it is applied
    result = cluster.kubectl(
        "apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(policy), check=False
    )
    # Then the API server refuses it with a message that names the field and the fix
    assert result.returncode != 0, f"{case}: accepted"
    for text in expected:
        assert text in result.stderr, f"{case}: {result.stderr}"
    assert cluster.kubectl("get", "sbp", "-n", namespace, "-o", "name").stdout.strip() == ""


def test_a_backup_spec_cannot_be_changed_after_creation(
    cluster: LocalCluster, namespace: str
) -> None:
    given_strongroom_crds(cluster)
    backup = yaml.safe_load((DOCS / "examples" / "04-backup-manual.yaml").read_text())
    cluster.kubectl("apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(backup))
    backup["spec"]["scheduledTime"] = "2026-03-02T12:00:00Z"
    result = cluster.kubectl(
        "apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(backup), check=False
    )
    assert result.returncode != 0
    assert "a Backup's spec is immutable" in result.stderr


def test_a_restore_without_a_source_is_refused(cluster: LocalCluster, namespace: str) -> None:
    given_strongroom_crds(cluster)
    restore = yaml.safe_load((DOCS / "examples" / "03-restore-latest-verified.yaml").read_text())
    restore["spec"].pop("latestVerified")
    result = cluster.kubectl(
        "apply", "-n", namespace, "-f", "-", input=yaml.safe_dump(restore), check=False
    )
    assert result.returncode != 0
    assert "set exactly one source" in result.stderr
