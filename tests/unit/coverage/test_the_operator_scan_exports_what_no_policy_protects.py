"""The operator's coverage scan lists what it serves, decides with the report's function, and
exports the counts; a refused list leaves the gauge alone rather than claiming full coverage."""

from __future__ import annotations

from tests.unit.controller.world import World
from tests.unit.coverage.coverage_world import (
    bitnami_postgres_service,
    bitnami_postgres_statefulset,
    mariadb_statefulset,
    plain_service,
    policy,
)

from strongroom.config import OperatorConfig
from strongroom.controller.coverage import scan
from strongroom.errors import KubeError
from strongroom.kube.base import BACKUP_POLICIES
from strongroom.kube.cluster_kinds import SERVICES, STATEFULSETS


def world_serving(*namespaces: str) -> World:
    world = World()
    world.rt.config = OperatorConfig(namespaces=list(namespaces))
    return world


async def test_each_watched_namespace_is_scanned_and_counted() -> None:
    # Given a protected Bitnami PostgreSQL in shop, and two forgotten databases in billing
    world = world_serving("shop", "billing")
    world.kube.put(SERVICES, "shop", bitnami_postgres_service("shop"))
    world.kube.put(STATEFULSETS, "shop", bitnami_postgres_statefulset("shop"))
    world.kube.put(BACKUP_POLICIES, "shop", policy("shop", "shop-db.shop.svc"))
    world.kube.put(SERVICES, "billing", plain_service("billing", "ledger", 3306))
    world.kube.put(STATEFULSETS, "billing", mariadb_statefulset("billing", "ledger", "mariadb:11"))
    # and one in a namespace the operator does not serve
    world.kube.put(SERVICES, "elsewhere", plain_service("elsewhere", "pg", 5432))

    # When the operator scans
    found = await scan(world.rt)

    # Then the billing findings are exported, and nothing from shop or unserved namespaces
    assert found is not None
    assert [(u.namespace, u.kind, u.name) for u in found] == [
        ("billing", "Service", "ledger"),
        ("billing", "StatefulSet", "ledger"),
    ]
    assert world.metrics.unprotected == {"billing": 2}


async def test_a_new_policy_clears_the_namespace_on_the_next_scan() -> None:
    world = world_serving("billing")
    world.kube.put(SERVICES, "billing", plain_service("billing", "ledger", 5432))
    await scan(world.rt)
    assert world.metrics.unprotected == {"billing": 1}
    world.kube.put(BACKUP_POLICIES, "billing", policy("billing", "ledger"))
    await scan(world.rt)
    assert world.metrics.unprotected == {}


async def test_a_refused_list_is_not_reported_as_full_coverage() -> None:
    world = world_serving("billing")
    world.kube.put(SERVICES, "billing", plain_service("billing", "ledger", 5432))
    await scan(world.rt)
    world.kube.fail_next["list"] = KubeError("services is forbidden", status=403)
    assert await scan(world.rt) is None
    assert world.metrics.unprotected == {"billing": 1}
