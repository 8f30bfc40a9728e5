"""The verify agent waits for a starting scratch sidecar (and says clearly when it never
answers), and a failed custom assertion fails the run by name, never showing the value read."""

from __future__ import annotations

import pytest

from conftest import World
from strongroom.agent.backup import run_backup
from strongroom.agent.verify import run_verify, wait_for_server
from strongroom.engines import Connection
from strongroom.errors import VerificationError

SOCKET = Connection("/var/run/strongroom/scratch-socket", 5432, "postgres", "postgres", None)
HOLDS = {"name": "has-orders", "sql": "SELECT count(*) > 0 FROM orders", "expect": "true"}
FAILS = {"name": "no-refunds", "sql": "SELECT count(*) FROM refunds", "expect": "0"}


def _verify_job(world: World, *assertions: dict[str, str]) -> object:
    db = {"host": "db", "port": 5432, "database": "orders", "user": "u", "tls": "disable"}
    return world.job(
        "verify",
        verify={
            "level": "equivalence",
            "scratch": {"connection": db, "database": "scratch_1", "waitSeconds": 5},
            "assertions": list(assertions),
        },
    )


@pytest.fixture(autouse=True)
def quick_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sidecar counts as up after two answers 50 ms apart (2 s in production)."""
    monkeypatch.setattr("strongroom.agent.verify.SETTLE_SECONDS", 0.05)


def test_a_server_that_never_answers_fails_clearly_within_the_timeout(world: World) -> None:
    world.engine.down_for = 10**6
    with pytest.raises(VerificationError) as caught:
        wait_for_server(world.engine, SOCKET, timeout=0.3)
    assert caught.value.reason == "ScratchUnavailable"
    assert "/var/run/strongroom/scratch-socket" in str(caught.value)
    assert "-c scratch" in str(caught.value)


def test_a_starting_server_is_waited_for_until_it_answers_twice(world: World) -> None:
    world.engine.down_for = 2
    wait_for_server(world.engine, SOCKET, timeout=1.5)
    assert world.engine.down_for == 0


def test_assertions_run_after_the_restore_and_a_failure_names_only_the_assertion(
    world: World,
) -> None:
    run_backup(world.job("backup"), world.store)
    world.engine.answers = {HOLDS["sql"]: "true", FAILS["sql"]: "7"}
    world.engine.down_for = 1  # the sidecar is still starting when the agent begins
    result = run_verify(_verify_job(world, HOLDS, FAILS), world.store)  # type: ignore[arg-type]
    assert result.outcome == "failed"
    assert result.reason == "AssertionFailed"
    assert result.level_reached == "equivalence"
    assert result.assertions_failed == ["no-refunds (expected '0')"]
    assert "no-refunds" in (result.message or "")
    assert "7" not in (result.message or "").replace("'0'", "")
    assert "scratch_1" not in world.engine.databases  # dropped after the check


def test_passing_assertions_keep_the_run_verified(world: World) -> None:
    run_backup(world.job("backup"), world.store)
    world.engine.answers = {HOLDS["sql"]: "true"}
    result = run_verify(_verify_job(world, HOLDS), world.store)  # type: ignore[arg-type]
    assert result.outcome == "succeeded", result.message
    assert result.level_reached == "equivalence"
    assert result.restore_seconds is not None
