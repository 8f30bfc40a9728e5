"""Realistic Service/StatefulSet/BackupPolicy JSON, shaped as the API server lists them."""

from __future__ import annotations

from typing import Any


def bitnami_postgres_service(namespace: str = "shop", name: str = "shop-db") -> dict[str, Any]:
    """The ClusterIP Service the Bitnami PostgreSQL chart creates."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app.kubernetes.io/instance": "shop-db",
                "app.kubernetes.io/managed-by": "Helm",
                "app.kubernetes.io/name": "postgresql",
                "app.kubernetes.io/component": "primary",
                "helm.sh/chart": "postgresql-15.5.0",
            },
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": "10.96.12.34",
            "ports": [
                {"name": "tcp-postgresql", "port": 5432, "protocol": "TCP",
                 "targetPort": "tcp-postgresql"},
            ],
            "selector": {
                "app.kubernetes.io/instance": "shop-db",
                "app.kubernetes.io/name": "postgresql",
                "app.kubernetes.io/component": "primary",
            },
        },
    }  # fmt: skip


def bitnami_postgres_statefulset(namespace: str = "shop") -> dict[str, Any]:
    """The primary StatefulSet of the same chart, governed by the headless Service."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "shop-db-postgresql", "namespace": namespace},
        "spec": {
            "serviceName": "shop-db-hl",
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/instance": "shop-db"}},
            "template": {
                "metadata": {
                    "labels": {
                        "app.kubernetes.io/instance": "shop-db",
                        "app.kubernetes.io/name": "postgresql",
                        "app.kubernetes.io/component": "primary",
                    }
                },
                "spec": {
                    "containers": [
                        {
                            "name": "postgresql",
                            "image": "docker.io/bitnami/postgresql:16.4.0-debian-12-r0",
                            "ports": [{"name": "tcp-postgresql", "containerPort": 5432}],
                        }
                    ]
                },
            },
        },
    }


def plain_service(namespace: str, name: str, port: int, **labels: str) -> dict[str, Any]:
    """A hand-written Service with one port and some labels."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {"ports": [{"port": port, "targetPort": port}], "selector": {"app": name}},
    }


def mariadb_statefulset(namespace: str, name: str, image: str) -> dict[str, Any]:
    """A hand-written StatefulSet running ``image`` with no helpful labels."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "serviceName": name,
            "selector": {"matchLabels": {"run": name}},
            "template": {
                "metadata": {"labels": {"run": name}},
                "spec": {"containers": [{"name": "db", "image": image}]},
            },
        },
    }


def policy(namespace: str, host: str, name: str = "p") -> dict[str, Any]:
    """A BackupPolicy body; only metadata and spec.database.host matter for coverage."""
    return {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "BackupPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"database": {"engine": "postgresql", "host": host, "database": "shop"}},
    }
