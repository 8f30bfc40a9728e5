"""Run the operator in this process: Kopf with the settings of an :class:`OperatorConfig`."""

from __future__ import annotations

import asyncio
import logging

import kopf

from strongroom import config as configuration
from strongroom.config import OperatorConfig


def run(cfg: OperatorConfig) -> int:
    """Run Kopf until it is stopped (SIGTERM/SIGINT); returns the exit code."""
    configuration.use(cfg)
    kopf.configure(
        verbose=cfg.log_level == "DEBUG",
        log_format=kopf.LogFormat.JSON if cfg.log_format == "json" else kopf.LogFormat.FULL,
    )
    logging.getLogger().setLevel(cfg.log_level)
    import strongroom.controller  # noqa: F401, PLC0415 - registers the handlers with this config

    liveness = f"http://0.0.0.0:{cfg.health_port}/healthz" if cfg.health_port else None
    asyncio.run(
        kopf.operator(
            clusterwide=cfg.cluster_wide,
            namespaces=cfg.namespaces,
            standalone=cfg.peering_name is None,
            peering_name=cfg.peering_name,
            priority=cfg.peering_priority,
            liveness_endpoint=liveness,
        )
    )
    return 0
