"""Story: a KMS-encrypted policy is moved to another KMS key; its backups follow.

Given a policy whose data keys are wrapped by KMS key A (the local KMS endpoint) and one backup,
when the policy's ``kmsKeyId`` is changed to key B,
then the operator re-wraps the retained manifest through KMS to key B only, the Backup says so,
and after key A is disabled the backup still decrypts with key B alone (``strongroom decrypt``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from key_steps import POLICY, decrypted, given_ledger_policy
from steps import backups_of, given_strongroom_crds, s3_get, wait_until, when_backup_now
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

from strongroom.crypto.manifest import Manifest


@pytest.fixture(scope="module")
def operator(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """The real operator with the AWS credentials a KMS policy needs (its own, as in a pod)."""
    given_strongroom_crds(cluster)
    process = OperatorProcess(
        cluster,
        tmp_path_factory.mktemp("operator"),
        settings={"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY},
    )
    process.start()
    yield process
    process.stop()


def test_changing_the_kms_key_rewraps_retained_backups_through_kms(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
    tmp_path: Path,
) -> None:
    # Given a backup wrapped by KMS key A
    kms: Any = s3_server.client("kms")
    key_a = kms.create_key()["KeyMetadata"]["KeyId"]
    key_b = kms.create_key()["KeyMetadata"]["KeyId"]
    given_ledger_policy(
        cluster, namespace, pg_store, bucket=bucket, endpoint=s3_server.endpoint_url,
        encryption={"kmsKeyId": key_a, "kmsRegion": REGION},
    )  # fmt: skip
    when_backup_now(cluster, namespace, POLICY)
    (backup,) = backups_of(cluster, namespace, POLICY)
    assert backup["status"]["keyId"] == key_a

    # When the policy moves to key B
    cluster.kubectl(
        "patch", "backuppolicy", POLICY, "-n", namespace, "--type=merge",
        "-p", json.dumps({"spec": {"encryption": {"kmsKeyId": key_b}}}),
    )  # fmt: skip

    # Then the manifest is re-wrapped to B only, and the Backup says so
    wait_until(
        lambda: backups_of(cluster, namespace, POLICY)[0]["status"]["keyId"] == key_b,
        timeout=60, what="the re-wrap to KMS key B",
    )  # fmt: skip
    manifest = Manifest.from_json(s3_get(s3_server, bucket, backup["status"]["manifestKey"]))
    assert [(w.kind, w.key_id) for w in manifest.wrapped_keys] == [("kms", key_b)]

    # And with key A disabled, the backup decrypts with key B alone
    kms.disable_key(KeyId=key_a)
    dump = tmp_path / "ledger.dump"
    data_key = backup["status"]["dataKey"]
    plain = decrypted(s3_server, bucket, data_key, dump, f"--kms-key-id={key_b}")
    assert plain.startswith(b"PGDMP")  # pg_dump's custom archive format
    labels = f'{{namespace="{namespace}",policy="{POLICY}"}}'
    done = f"strongroom_encryption_manifests_pending_rewrap{labels} 0.0"
    wait_until(lambda: done in operator.metrics(), timeout=60, what="the re-wrap gauge at 0")
