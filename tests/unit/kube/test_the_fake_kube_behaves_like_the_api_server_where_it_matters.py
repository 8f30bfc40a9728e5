"""FakeKube keeps the API server's promises the controller relies on: unique names (409 as a
value), label selectors, merge patches, status-only patches, idempotent deletes."""

from __future__ import annotations

from strongroom.kube.base import BACKUPS, AlreadyExists, Created
from strongroom.kube.fake import FakeKube


async def test_a_second_create_meets_the_first_object() -> None:
    kube = FakeKube()
    body = {"metadata": {"name": "b1", "labels": {"a": "1"}}, "spec": {"x": 1}}
    first = await kube.create(BACKUPS, "ns", body)
    second = await kube.create(BACKUPS, "ns", body | {"spec": {"x": 2}})
    assert isinstance(first, Created)
    assert isinstance(second, AlreadyExists)
    assert second.body is not None
    assert second.body["spec"] == {"x": 1}


async def test_selectors_patches_and_deletes() -> None:
    kube = FakeKube()
    await kube.create(BACKUPS, "ns", {"metadata": {"name": "b1", "labels": {"p": "a"}}})
    await kube.create(BACKUPS, "ns", {"metadata": {"name": "b2", "labels": {"p": "b"}}})
    assert [o["metadata"]["name"] for o in await kube.list(BACKUPS, "ns", selector="p=a")] == ["b1"]
    await kube.patch(
        BACKUPS, "ns", "b1", {"status": {"phase": "Running"}, "spec": {"x": 1}}, status=True
    )
    obj = await kube.get(BACKUPS, "ns", "b1")
    assert obj is not None
    assert obj["status"] == {"phase": "Running"}
    assert "spec" not in obj
    await kube.patch(BACKUPS, "ns", "b1", {"metadata": {"labels": {"p": None}}})
    obj = await kube.get(BACKUPS, "ns", "b1")
    assert obj is not None
    assert obj["metadata"]["labels"] == {}
    assert await kube.delete(BACKUPS, "ns", "b1") is True
    assert await kube.delete(BACKUPS, "ns", "b1") is False
    assert await kube.patch(BACKUPS, "ns", "b1", {"x": 1}) is None
