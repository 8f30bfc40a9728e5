"""The operator's API client never has more connections open than its pool allows.

A slot due for a whole fleet sends a thousand creates at once; with the library's default pool
each would get its own TLS connection (and buffer). Here a burst of concurrent requests through
a pool of three must succeed, and this process must never hold more than three connections to
the real API server while it runs.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlparse

from tests.support.cluster import LocalCluster

from strongroom.kube.client import RealKube
from strongroom.kube.cluster_kinds import SERVICES

_ESTABLISHED = "01"


def _connections_to(port: int) -> int:
    """Established TCP connections from this process to ``port`` on loopback."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    count = 0
    for line in Path("/proc/self/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        remote_port = int(fields[2].split(":")[1], 16)
        if remote_port == port and fields[3] == _ESTABLISHED and fields[9] in inodes:
            count += 1
    return count


async def test_a_burst_of_requests_shares_a_pool_of_three_connections(
    cluster: LocalCluster,
) -> None:
    port = urlparse(cluster.server).port
    assert port is not None
    kube = await RealKube.connect(cluster.kubeconfig, connections=3)
    seen: list[int] = []
    done = asyncio.Event()

    async def watch_sockets() -> None:
        while not done.is_set():
            seen.append(_connections_to(port))
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(watch_sockets())
    try:
        answers = await asyncio.gather(*(kube.list(SERVICES, "default") for _ in range(40)))
    finally:
        done.set()
        await sampler
        await kube.close()
    # The API server's own Service is in every answer: each request really went through.
    assert all(any(s["metadata"]["name"] == "kubernetes" for s in a) for a in answers)
    assert max(seen) >= 1, "the sampler never saw the client's connections"
    assert max(seen) <= 3, f"{max(seen)} connections open at once through a pool of 3"
