"""Pytest fixtures for the local Kubernetes control plane (registered in tests/conftest.py).

``cluster`` is one :class:`~tests.support.cluster.LocalCluster` per session with the process
kubelet running and the default image table: ``strongroom`` runs commands with this checkout's
virtualenv first on PATH (uid 65532 unless the pod says otherwise), ``busybox`` runs the host's
``/bin/sh`` and coreutils, ``postgres`` and ``mariadb`` run the host's PostgreSQL 15 and MariaDB
through stand-ins for the official images' entrypoints (``tests/support/images/``).
``namespace`` is a fresh namespace per test, enforcing the ``restricted`` Pod Security Standard,
deleted afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cluster import REPO_ROOT, LocalCluster, find_binaries
from tests.support.kube_steps import create_namespace, delete_namespace
from tests.support.kubelet import ImageEntry

#: The non-root uid the strongroom image runs as (distroless "nonroot").
STRONGROOM_UID = 65532
#: Stand-ins for the entrypoints of the official database images.
_IMAGES = Path(__file__).resolve().parent / "images"


def default_images() -> dict[str, ImageEntry]:
    """The image table of the test session: the operator's image and a shell image."""
    venv_bin = REPO_ROOT / ".venv" / "bin"
    interpreter = Path(os.path.realpath(venv_bin / "python")).parents[1]
    return {
        "strongroom": ImageEntry(
            path_prefix=(str(venv_bin),),
            entrypoint=("strongroom",),
            user=STRONGROOM_UID,
            # The checkout itself is part of this "image": its virtualenv and editable install.
            reveal=(str(interpreter), str(REPO_ROOT)),
        ),
        "busybox": ImageEntry(cmd=("sh",)),
        # The verification sidecar's official database images, as the host's servers run by
        # stand-ins for the images' entrypoints (init an empty data dir, then exec the server).
        # Their scripts live in the checkout, which a pod's /tmp emptyDir hides when the checkout
        # is below /tmp (a CI clone): the checkout is revealed whole, like the strongroom image's
        # (revealing only the scripts' folder would leave its parents as bare 0700 directories).
        "postgres": ImageEntry(
            entrypoint=(str(_IMAGES / "postgres-entrypoint.sh"),),
            user=999,
            reveal=(str(REPO_ROOT),),
        ),
        "mariadb": ImageEntry(
            entrypoint=(str(_IMAGES / "mariadb-entrypoint.sh"),), user=999, reveal=(str(REPO_ROOT),)
        ),
    }


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A real API server, controller-manager and process kubelet for the whole session."""
    local = LocalCluster(
        tmp_path_factory.mktemp("cluster"), find_binaries(), kubelet=True, images=default_images()
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture
def namespace_factory(cluster: LocalCluster) -> Iterator[Callable[..., str]]:
    """Create namespaces on demand (``pod_security=None`` for none); all deleted after the test."""
    created: list[str] = []

    def make(prefix: str = "t", *, pod_security: str | None = "restricted") -> str:
        name = create_namespace(cluster, prefix=prefix, pod_security=pod_security)
        created.append(name)
        return name

    yield make
    for name in created:
        delete_namespace(cluster, name)


@pytest.fixture
def namespace(namespace_factory: Callable[..., str]) -> str:
    """A fresh namespace enforcing the restricted Pod Security Standard."""
    return namespace_factory()
