"""Every JobRole's Job equals its golden file (tests/data/input → tests/data/output).

The Job is the security boundary of a backup, so any change to it must show up as a reviewed
diff of ``tests/data/output/<role>-job.yaml``. ``STRONGROOM_UPDATE_GOLDEN=1`` rewrites them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from strongroom.api.policy import BackupPolicySpec
from strongroom.manifests.jobs import JobSettings, SecretFiles, build_job
from strongroom.manifests.labels import JobRole

DATA = Path(__file__).resolve().parents[2] / "data"
SETTINGS = JobSettings(image="strongroom:golden", service_account="strongroom-job")


def built(role: JobRole) -> dict[str, Any]:
    raw = yaml.safe_load((DATA / "input" / f"{role.value}-job.yaml").read_text())
    extra = tuple(
        SecretFiles(f["volume"], f["secret"], tuple(tuple(i) for i in f["items"]), f["mountPath"])  # type: ignore[misc]
        for f in raw.get("extraFiles", [])
    )
    return build_job(
        spec=BackupPolicySpec.model_validate(raw["spec"]),
        policy=raw["policy"],
        backup=raw["backup"],
        role=role,
        settings=SETTINGS,
        extra_files=extra,
    )


@pytest.mark.parametrize("role", list(JobRole), ids=lambda r: r.value)
def test_the_job_of_each_role_is_exactly_its_golden_file(role: JobRole) -> None:
    job = built(role)
    golden = DATA / "output" / f"{role.value}-job.yaml"
    if os.environ.get("STRONGROOM_UPDATE_GOLDEN") == "1":
        golden.write_text(yaml.safe_dump(job, sort_keys=True))
    assert job == yaml.safe_load(golden.read_text())
