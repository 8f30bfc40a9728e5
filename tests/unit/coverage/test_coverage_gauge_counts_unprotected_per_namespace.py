"""strongroom_unprotected_databases{namespace} follows the latest scan, and forgets fixed ones."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from strongroom.metrics import OperatorMetrics
from strongroom.planner.coverage import COVERAGE_METRIC


def exported(metrics: OperatorMetrics) -> dict[str, float]:
    values: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for sample in family.samples:
            if sample.name == COVERAGE_METRIC:
                values[sample.labels["namespace"]] = sample.value
    return values


def test_the_gauge_is_replaced_by_each_scan() -> None:
    metrics = OperatorMetrics()
    metrics.observe_unprotected({"shop": 2, "blog": 1})
    assert exported(metrics) == {"shop": 2.0, "blog": 1.0}
    metrics.observe_unprotected({"shop": 1})
    assert exported(metrics) == {"shop": 1.0}
    metrics.observe_unprotected({})
    assert exported(metrics) == {}
