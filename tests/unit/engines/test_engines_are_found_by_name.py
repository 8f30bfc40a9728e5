"""A policy names its engine; the registry finds it, and an unknown name is a clear refusal."""

from __future__ import annotations

import pytest

from strongroom.engines import ENGINE_NAMES, engine_for
from strongroom.errors import ConfigError


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("postgresql", "postgresql"),
        ("postgres", "postgresql"),
        ("mysql", "mysql"),
        ("mariadb", "mysql"),
    ],
)
def test_each_engine_and_alias_resolves(name: str, expected: str) -> None:
    assert engine_for(name).name == expected


def test_the_registry_lists_the_policy_names() -> None:
    assert ENGINE_NAMES == ("postgresql", "mysql")


def test_an_unknown_engine_is_a_config_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="postgresql, mysql") as refusal:
        engine_for("oracle")
    assert refusal.value.reason == "UnknownEngine"
