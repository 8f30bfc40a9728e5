"""Child names are deterministic and at most 63 characters, hashed (not clipped) when long."""

from __future__ import annotations

from strongroom.manifests.labels import JobRole, child_name, is_ours, job_name, key_secret_name


def test_short_names_read_as_parent_and_suffix() -> None:
    assert job_name("orders-202605010100", JobRole.VERIFY) == "orders-202605010100-verify"
    assert key_secret_name("orders-202605010100-backup") == "orders-202605010100-backup-key"


def test_long_names_are_cut_with_a_hash_so_two_never_meet() -> None:
    a = child_name("x" * 60 + "a", "backup")
    b = child_name("x" * 60 + "b", "backup")
    assert len(a) <= 63
    assert len(b) <= 63
    assert a != b
    assert a.endswith("-backup")
    assert child_name("x" * 60 + "a", "backup") == a


def test_only_our_labels_for_this_policy_make_an_object_ours() -> None:
    ours = {
        "metadata": {
            "labels": {"app.kubernetes.io/managed-by": "strongroom", "strongroom.dev/policy": "p"}
        }
    }
    assert is_ours(ours, "p")
    assert not is_ours(ours, "other")
    assert not is_ours({"metadata": {"labels": {"strongroom.dev/policy": "p"}}}, "p")
    assert not is_ours(None, "p")
