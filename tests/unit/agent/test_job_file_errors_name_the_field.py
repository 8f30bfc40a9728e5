"""A wrong job file is refused with a message naming each wrong field, never its value."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import strongroom.agent.config as config_module
from strongroom.agent.config import AgentJob, Role, VerifyLevel, parse_job
from strongroom.errors import ConfigError


def minimal(**changes: Any) -> dict[str, Any]:
    job: dict[str, Any] = {
        "role": "verify",
        "engine": "postgresql",
        "storage": {"bucket": "backups"},
        "identity": {"namespace": "shop", "policy": "p", "backup": "b"},
        "dekFile": "/run/strongroom/dek",
        "verify": {"level": "integrity"},
    }
    job.update(changes)
    return job


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as refused:
        parse_job(raw)
    return str(refused.value)


def test_a_minimal_verify_job_is_valid_and_round_trips_in_camel_case() -> None:
    job = parse_job(minimal())
    assert job.role is Role.VERIFY
    assert job.verify is not None
    assert job.verify.level is VerifyLevel.INTEGRITY
    assert '"dekFile"' in job.to_json()
    assert parse_job(__import__("json").loads(job.to_json())) == job


def test_a_missing_bucket_is_named() -> None:
    assert "storage.bucket" in refusal(minimal(storage={}))


def test_an_unknown_field_is_refused_by_name() -> None:
    assert "storage.bukket" in refusal(minimal(storage={"bucket": "backups", "bukket": "x"}))


def test_an_unknown_role_is_named() -> None:
    assert "role" in refusal(minimal(role="dump"))


def test_backup_needs_a_database_and_wrapped_keys() -> None:
    message = refusal(minimal(role="backup"))
    assert "database is required for role backup" in message


def test_restoring_levels_need_a_scratch_target() -> None:
    message = refusal(minimal(verify={"level": "equivalence"}))
    assert "verify.scratch is required for level equivalence" in message


def test_key_files_come_in_pairs() -> None:
    message = refusal(minimal(storage={"bucket": "backups", "accessKeyIdFile": "/a"}))
    assert "accessKeyIdFile and secretAccessKeyFile" in message


def test_a_wrong_value_is_not_echoed_back() -> None:
    message = refusal(
        minimal(identity={"namespace": "shop", "policy": "p", "backup": "s3cr3t/../x"})
    )
    assert "identity.backup" in message
    assert "s3cr3t" not in message


ALLOWED = {"__future__", "json", "datetime", "enum", "pathlib", "typing", "pydantic", "strongroom"}


def test_the_model_module_imports_nothing_heavy() -> None:
    tree = ast.parse(Path(config_module.__file__).read_text())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported <= ALLOWED
    assert AgentJob.model_fields["dek_file"].description
