"""Shared fixtures of the scheduled-backup stories: the CRDs and one operator per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from steps import given_strongroom_crds
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess


@pytest.fixture(scope="module")
def operator(
    request: pytest.FixtureRequest,
    cluster: LocalCluster,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[OperatorProcess]:
    """The real operator, watching every namespace, with a 2-second timer.

    A story module may set ``OPERATOR_SETTINGS`` (``STRONGROOM_*`` variables) for its operator.
    """
    given_strongroom_crds(cluster)
    settings = getattr(request.module, "OPERATOR_SETTINGS", None)
    process = OperatorProcess(cluster, tmp_path_factory.mktemp("operator"), settings=settings)
    process.start()
    yield process
    process.stop()
