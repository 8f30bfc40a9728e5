"""The agent's write order and fail-closed reading, on the in-memory store and a fake engine.

The same stories run against real PostgreSQL, MariaDB and an S3 endpoint in
tests/integration/agent; here they are fast enough to run on every change.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from strongroom.agent.backup import run_backup
from strongroom.agent.context import object_keys
from strongroom.agent.restore import run_restore
from strongroom.agent.verify import run_verify
from strongroom.crypto.manifest import from_json
from strongroom.crypto.manifest import object_keys as crypto_object_keys
from strongroom.errors import ConfigError, EngineError, StorageError

World = Any  # the fixture type lives in this directory's conftest.py


def test_a_backup_writes_data_then_a_sealed_manifest(world: World) -> None:
    job = world.job("backup")
    result = run_backup(job, world.store)
    data_key, manifest_key = object_keys(job)
    assert result.outcome == "succeeded"
    assert set(world.store.objects) == {data_key, manifest_key}
    manifest = from_json(world.store.objects[manifest_key])
    assert manifest.data_size == len(world.store.objects[data_key]) == result.data_size
    assert manifest.tables[0].rows == 20000
    assert manifest.wrapped_keys
    assert world.engine.payload not in world.store.objects[data_key]


def test_a_failed_dump_leaves_no_object_and_no_manifest(world: World) -> None:
    world.engine.fail_dump = True
    with pytest.raises(EngineError):
        run_backup(world.job("backup"), world.store)
    assert world.store.objects == {}
    assert world.store.list_incomplete_uploads("") == []


def test_a_storage_outage_mid_upload_leaves_nothing(world: World) -> None:
    world.engine.payload = random.Random(1).randbytes(20 * 1024 * 1024)  # incompressible
    world.store.fail_part = 2
    with pytest.raises(StorageError):
        run_backup(world.job("backup"), world.store)
    assert world.store.objects == {}
    assert world.store.list_incomplete_uploads("") == []


def test_a_backup_is_written_once(world: World) -> None:
    run_backup(world.job("backup"), world.store)
    with pytest.raises(StorageError) as refused:
        run_backup(world.job("backup"), world.store)
    assert refused.value.reason == "BackupAlreadyExists"


def test_verify_reaches_equivalence_and_drops_the_scratch_database(world: World) -> None:
    run_backup(world.job("backup"), world.store)
    result = run_verify(world.job("verify"), world.store)
    assert result.outcome == "succeeded", result.message
    assert result.level_reached == "equivalence"
    assert result.restore_seconds is not None
    assert "scratch_1" not in world.engine.databases


def test_a_flipped_byte_fails_verification_and_restores_nothing(world: World) -> None:
    job = world.job("backup")
    run_backup(job, world.store)
    data_key, _ = object_keys(job)
    data = bytearray(world.store.objects[data_key])
    data[len(data) // 2] ^= 0x01
    world.store.objects[data_key] = bytes(data)
    result = run_verify(world.job("verify"), world.store)
    assert result.outcome == "failed"
    assert result.reason == "IntegrityCheckFailed"
    assert result.level_reached == "none"
    with pytest.raises(Exception, match=r"segment|sha256|altered"):
        run_restore(world.job("restore"), world.store)
    assert "restored" not in world.engine.databases


def test_restore_refuses_a_non_empty_target_without_the_flag(world: World) -> None:
    run_backup(world.job("backup"), world.store)
    world.engine.databases["restored"] = b"existing rows\n"
    with pytest.raises(ConfigError) as refused:
        run_restore(world.job("restore"), world.store)
    assert refused.value.reason == "TargetNotEmpty"
    assert world.engine.databases["restored"] == b"existing rows\n"


def test_restore_brings_back_exactly_the_dump(world: World) -> None:
    run_backup(world.job("backup"), world.store)
    result = run_restore(world.job("restore"), world.store)
    assert result.outcome == "succeeded"
    assert world.engine.databases["restored"] == world.engine.payload


def test_the_agent_names_objects_as_the_manifest_module_does(world: World) -> None:
    job = world.job("backup")
    run_backup(job, world.store)
    _, manifest_key = object_keys(job)
    manifest = from_json(world.store.objects[manifest_key])
    assert crypto_object_keys(job.storage.prefix, manifest.header) == object_keys(job)
