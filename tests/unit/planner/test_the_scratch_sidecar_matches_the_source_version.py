"""The scratch sidecar runs the official image of the source's kind and release series, as
recorded in the manifest at backup time; a configured image always wins."""

from __future__ import annotations

import pytest

from strongroom.api.common import Engine
from strongroom.planner.verification import sidecar_image


@pytest.mark.parametrize(
    ("engine", "server_version", "image"),
    [
        (Engine.POSTGRESQL, "15.18 (Debian 15.18-0+deb12u1)", "docker.io/library/postgres:15"),
        (Engine.POSTGRESQL, "16.4", "docker.io/library/postgres:16"),
        (Engine.MYSQL, "10.11.19-MariaDB-0+deb12u1", "docker.io/library/mariadb:10.11"),
        (Engine.MYSQL, "11.4.2-MariaDB", "docker.io/library/mariadb:11.4"),
        (Engine.MYSQL, "8.0.36", "docker.io/library/mysql:8.0"),
        (Engine.POSTGRESQL, "", "docker.io/library/postgres:latest"),
    ],
)
def test_the_image_follows_the_recorded_server_version(
    engine: Engine, server_version: str, image: str
) -> None:
    assert sidecar_image(engine, server_version) == image


def test_a_configured_image_wins() -> None:
    assert sidecar_image(Engine.POSTGRESQL, "15.18", "registry.example/pg:15") == (
        "registry.example/pg:15"
    )
