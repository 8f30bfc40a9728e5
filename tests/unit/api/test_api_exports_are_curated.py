"""strongroom.api exports a curated, sorted __all__, and every name in it exists."""

from __future__ import annotations

from strongroom import api


def test_all_is_sorted_unique_and_importable() -> None:
    assert len(api.__all__) == len(set(api.__all__))
    assert api.__all__ == sorted(api.__all__, key=lambda n: (not n.isupper(), n.islower(), n))
    for name in api.__all__:
        assert hasattr(api, name), name


def test_every_public_name_of_the_package_is_in_all() -> None:
    public = {n for n in vars(api) if not n.startswith("_") and n != "annotations"}
    modules = {"backup", "common", "crdgen", "erasure", "fingerprints", "policy", "restore"}
    assert public - modules == set(api.__all__)
