"""Story: keys are rotated twice on demand; nothing is stranded, and an old backup restores.

Given a policy with one backup wrapped by key version 1, and a copy of its manifest left in
the bucket where no Backup object lists it (as a deleted Backup's retained objects would be),
when a person runs ``strongroom keys rotate`` twice (with a backup in between),
then the operator makes each new version primary and re-wraps every retained manifest to it;
retiring v1 is refused while the bucket still holds a manifest that needs it (Event and audit),
and happens once that manifest is gone; every manifest opens with the current primary alone;
``strongroom keys destroy`` crypto-shreds retired v1 and it is recorded; the backup taken before
the first rotation still restores by hand (``strongroom decrypt`` + ``pg_restore``) and with a
``Restore`` (``strongroom restore``), each with the same table fingerprints; metrics show the
re-wrap done; no key byte is in logs or Events.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from key_steps import alone, decrypted, given_ledger_policy, key_versions, keys, ring, state
from restore_steps import when_restore
from steps import (
    backups_of,
    event_messages,
    given_database_login,
    given_strongroom_crds,
    s3_get,
    s3_keys,
    wait_until,
    when_backup_now,
)
from tests.integration.agent.test_decrypt_without_an_operator import load_dump
from tests.integration.report.s3_steps import store_for
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import get
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.postgres import PostgresServer
from tests.support.s3 import S3Server

from strongroom.audit.sink import read_trail
from strongroom.crypto.keyring import KeyRingWrapper, KeyState
from strongroom.crypto.manifest import Manifest, open_manifest
from strongroom.engines import engine_for
from strongroom.errors import CryptoError


@pytest.fixture(scope="module")
def operator(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OperatorProcess]:
    """The real operator with a 3-second resync, so a change in the bucket is seen quickly."""
    given_strongroom_crds(cluster)
    process = OperatorProcess(
        cluster, tmp_path_factory.mktemp("operator"), settings={"STRONGROOM_RESYNC_INTERVAL": "3"}
    )
    process.start()
    yield process
    process.stop()


def test_rotating_twice_strands_no_backup_and_the_oldest_backup_restores(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    empty_pg_database: StoreDatabase,
    postgres_server: PostgresServer,
    s3_server: S3Server,
    bucket: str,
    tmp_path: Path,
) -> None:
    # Given a policy with one backup wrapped by v1
    given_ledger_policy(
        cluster, namespace, pg_store, bucket=bucket, endpoint=s3_server.endpoint_url
    )
    engine = engine_for("postgresql")
    at_first_backup = engine.fingerprints(pg_store.connection)
    when_backup_now(cluster, namespace, "ledger")
    first = backups_of(cluster, namespace, "ledger")[0]
    assert first["status"]["keyVersion"] == 1
    v1_material = ring(cluster, namespace).primary().material
    assert v1_material is not None
    folder = f"e2e/{namespace}/ledger"
    orphan = f"{folder}/ledger-retained-elsewhere/manifest.json"
    client: Any = s3_server.client()
    client.put_object(
        Bucket=bucket, Key=orphan, Body=s3_get(s3_server, bucket, first["status"]["manifestKey"])
    )

    # When a person rotates the key
    assert "Key version 2 is primary" in keys(cluster, namespace, "rotate", "ledger", "--wait")

    # Then the Backup is re-wrapped to v2, but v1 is not retired: the bucket still needs it
    wait_until(lambda: key_versions(cluster, namespace) == {2}, timeout=60, what="re-wrap to v2")
    refusal = wait_until(
        lambda: [m for m in event_messages(cluster, namespace) if "KeyOperationRefused" in m],
        timeout=60, what="the refusal to retire v1",
    )[0]  # fmt: skip
    assert "cannot retire key ring ledger-keyring v1" in refusal
    assert state(cluster, namespace, 1) is KeyState.DECRYPT_ONLY

    # When that manifest is gone, v1 retires
    wrapped_by_v1 = s3_get(s3_server, bucket, orphan)
    client.delete_object(Bucket=bucket, Key=orphan)
    wait_until(
        lambda: state(cluster, namespace, 1) is KeyState.RETIRED, timeout=60, what="v1 retired"
    )

    # When a second backup is taken and the key is rotated again
    when_backup_now(cluster, namespace, "ledger")
    keys(cluster, namespace, "rotate", "ledger", "--wait")
    wait_until(lambda: key_versions(cluster, namespace) == {3}, timeout=60, what="re-wrap to v3")
    wait_until(
        lambda: state(cluster, namespace, 2) is KeyState.RETIRED, timeout=60, what="v2 retired"
    )

    # Then every retained manifest opens with the current primary alone
    current = ring(cluster, namespace)
    only_primary = alone(current, current.primary().version)
    manifests = [k for k in s3_keys(s3_server, bucket, folder + "/") if k.endswith("manifest.json")]
    assert len(manifests) == 2
    for key in manifests:
        opened = Manifest.from_json(s3_get(s3_server, bucket, key))
        assert [w.key_version for w in opened.wrapped_keys] == ["3"]
        open_manifest(opened, [only_primary])
    listing = keys(cluster, namespace, "list", "ledger")
    assert "retired" in listing
    assert "primary" in listing

    # When a person asks to destroy v1, it is crypto-shredded and recorded
    keys(cluster, namespace, "destroy", "ledger", "--version", "1")
    wait_until(
        lambda: state(cluster, namespace, 1) is KeyState.DESTROYED, timeout=60, what="v1 destroyed"
    )
    secret = get(cluster, "secret", "ledger-keyring", namespace=namespace)
    assert secret is not None
    assert "kek-v1" not in secret["data"]
    # and a copy of a manifest wrapped by v1 alone can no longer be opened by anyone
    with pytest.raises(CryptoError):
        open_manifest(Manifest.from_json(wrapped_by_v1), [KeyRingWrapper(ring(cluster, namespace))])

    # And the backup taken before the first rotation restores by hand with today's escrow
    escrow = tmp_path / "escrow.json"
    keys(cluster, namespace, "export", "ledger", "-o", str(escrow))
    dump = tmp_path / "ledger.dump"
    decrypted(s3_server, bucket, first["status"]["dataKey"], dump, f"--keyring={escrow}")
    target = _Target(empty_pg_database.connection)
    load_dump(target, dump, tmp_path)
    assert engine.fingerprints(empty_pg_database.connection) == at_first_backup

    # And through the operator: a Restore of that backup into another new database
    other = f"after_rotations_{uuid.uuid4().hex[:8]}"
    postgres_server.create_database(other)
    try:
        into = postgres_server.admin_connection(other)
        given_database_login(cluster, namespace, into, name="target-login")
        shown = when_restore(
            cluster, namespace, into, first["metadata"]["name"], "--name", "after-rotations"
        )
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert engine.fingerprints(into) == at_first_backup
    finally:
        postgres_server.drop_database(other)

    # And metrics, audit trail and logs tell the story without a key byte
    labels = f'{{namespace="{namespace}",policy="ledger"}}'
    done = f"strongroom_encryption_manifests_pending_rewrap{labels} 0.0"
    wait_until(lambda: done in operator.metrics(), timeout=60, what="the re-wrap gauge at 0")
    assert f"strongroom_encryption_key_versions_in_use{labels} 1.0" in operator.metrics()
    store = store_for(s3_server, bucket, tmp_path)
    records = read_trail(store, "e2e", namespace=namespace, policy="ledger")
    done = [(r.action.value, r.result.value, r.key_version) for r in records]
    assert ("key-retire", "refused", 1) in done
    assert ("key-retire", "succeeded", 1) in done
    assert ("key-destroy", "succeeded", 1) in done
    assert [a for a in done if a[0] == "key-rotate"] == [
        ("key-rotate", "succeeded", 2),
        ("key-rotate", "succeeded", 3),
    ]
    assert sum(1 for a in done if a[:2] == ("key-rewrap", "succeeded")) == 3
    said = operator.logs() + json.dumps(event_messages(cluster, namespace))
    for version in [*current.versions]:
        if version.material is not None:
            assert base64.b64encode(version.material).decode() not in said
            assert version.material.hex() not in said
    assert base64.b64encode(v1_material).decode() not in said


class _Target:
    """What ``load_dump`` needs: the engine and the empty target's connection."""

    engine_name = "postgresql"

    def __init__(self, connection: Any) -> None:
        self.empty = connection
