"""Deleting a policy removes every one of its series; other policies are untouched."""


def test_forget_removes_gauges_counters_and_histograms_of_that_policy_only(
    populated, full_snapshot, scrape
):
    populated.observe_policy("shop", "customers", full_snapshot)
    populated.record_backup_run("shop", "customers", "succeeded", 60.0, 10)
    assert scrape(populated).series_of("shop", "orders")

    populated.forget_policy("shop", "orders")

    exported = scrape(populated)
    assert exported.series_of("shop", "orders") == []
    remaining = {name for name, _ in exported.series_of("shop", "customers")}
    assert "strongroom_backup_runs_total" in remaining
    assert "strongroom_backup_last_success_timestamp_seconds" in remaining


def test_forgetting_a_policy_never_seen_is_harmless(metrics, scrape):
    metrics.forget_policy("shop", "ghost")

    assert scrape(metrics).series_of("shop", "ghost") == []


def test_a_policy_seen_again_after_forget_starts_from_zero(populated, full_snapshot, scrape):
    populated.forget_policy("shop", "orders")

    populated.observe_policy("shop", "orders", full_snapshot)

    exported = scrape(populated)
    assert (
        exported.value(
            "strongroom_backup_runs_total", namespace="shop", policy="orders", result="succeeded"
        )
        == 0.0
    )
