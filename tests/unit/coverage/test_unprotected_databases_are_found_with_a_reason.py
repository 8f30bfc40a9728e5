"""Every database-looking Service or StatefulSet that no policy's host reaches is listed."""

from __future__ import annotations

import pytest
from coverage_world import (
    bitnami_postgres_service,
    bitnami_postgres_statefulset,
    mariadb_statefulset,
    plain_service,
    policy,
)

from strongroom.planner.coverage import (
    COVERAGE_METRIC,
    coverage_counts,
    image_engine,
    unprotected_databases,
)


def test_a_chart_installed_postgres_with_no_policy_is_listed_twice_with_reasons() -> None:
    found = unprotected_databases(
        [bitnami_postgres_service()], [bitnami_postgres_statefulset()], []
    )
    assert [(u.kind, u.namespace, u.name, u.engine) for u in found] == [
        ("Service", "shop", "shop-db", "postgresql"),
        ("StatefulSet", "shop", "shop-db-postgresql", "postgresql"),
    ]
    assert "app.kubernetes.io/name=postgresql" in found[0].reason
    assert "bitnami/postgresql" in found[1].reason


@pytest.mark.parametrize(
    ("host", "policy_namespace"),
    [
        ("shop-db", "shop"),
        ("shop-db.shop", "other"),
        ("shop-db.shop.svc", "other"),
        ("shop-db.shop.svc.cluster.local", "other"),
        ("SHOP-DB.shop.svc.cluster.local.", "other"),
    ],
)
def test_a_policy_naming_the_service_protects_it_and_the_pods_it_selects(
    host: str, policy_namespace: str
) -> None:
    found = unprotected_databases(
        [bitnami_postgres_service()],
        [bitnami_postgres_statefulset()],
        [policy(policy_namespace, host)],
    )
    assert found == []


def test_a_bare_service_name_only_reaches_the_policy_s_own_namespace() -> None:
    found = unprotected_databases([bitnami_postgres_service()], [], [policy("other", "shop-db")])
    assert [u.name for u in found] == ["shop-db"]


def test_a_pod_dns_name_under_the_governing_service_protects_the_statefulset() -> None:
    found = unprotected_databases(
        [],
        [bitnami_postgres_statefulset()],
        [policy("x", "shop-db-postgresql-0.shop-db-hl.shop.svc")],
    )
    assert found == []


def test_ports_and_images_are_recognised_without_labels() -> None:
    services = [
        plain_service("blog", "mysql-main", 3306),
        plain_service("blog", "web", 8080, app="nginx"),
        plain_service("shop", "pg", 5432),
    ]
    statefulsets = [
        mariadb_statefulset("blog", "galera", "registry.example.com/bitnami/mariadb-galera:11.4"),
        mariadb_statefulset("blog", "cache", "redis:7"),
        mariadb_statefulset("shop", "pinned", "postgres@sha256:" + "ab" * 32),
    ]
    found = unprotected_databases(services, statefulsets, [policy("shop", "pg")])
    assert [(u.kind, u.namespace, u.name, u.engine) for u in found] == [
        ("Service", "blog", "mysql-main", "mysql"),
        ("StatefulSet", "blog", "galera", "mariadb"),
        ("StatefulSet", "shop", "pinned", "postgresql"),
    ]
    assert "port 3306" in found[0].reason
    assert coverage_counts(found) == {"blog": 2, "shop": 1}
    assert COVERAGE_METRIC == "strongroom_unprotected_databases"


@pytest.mark.parametrize(
    ("image", "engine"),
    [
        ("postgres:16", "postgresql"),
        ("docker.io/library/mysql:8.4", "mysql"),
        ("mariadb", "mariadb"),
        ("bitnami/postgresql-repmgr:16", "postgresql"),
        ("percona/percona-server:8.0", "mysql"),
        ("postgis/postgis:16-3.4", "postgresql"),
        ("nginx:1.27", None),
        ("registry:5000/tools/pg-exporter:1", None),
    ],
)
def test_image_names_map_to_engines(image: str, engine: str | None) -> None:
    assert image_engine(image) == engine


def test_strongroom_s_own_scratch_databases_are_not_findings() -> None:
    scratch = plain_service(
        "shop", "verify-scratch", 5432, **{"app.kubernetes.io/managed-by": "strongroom"}
    )
    assert unprotected_databases([scratch], [], []) == []
