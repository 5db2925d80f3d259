"""Delivery metrics, recorded through the Temporal runtime's metric meter so that the worker process serves
them on its one Prometheus endpoint beside the SDK's (runtime/metrics.py): `hazardloop_deliveries`
(counter, by channel and outcome: delivered, retried, failed) and `hazardloop_delivery_seconds` (send
duration histogram, by channel)."""

from __future__ import annotations

from temporalio.common import MetricCounter, MetricHistogramFloat
from temporalio.runtime import Runtime

OUTCOMES = {"delivered": "delivered", "failed_permanent": "failed", "retry": "retried"}
_instruments: dict[int, tuple[MetricCounter, MetricHistogramFloat]] = {}


def _for(runtime: Runtime) -> tuple[MetricCounter, MetricHistogramFloat]:
    found = _instruments.get(id(runtime))
    if found is None:
        meter = runtime.metric_meter
        found = _instruments[id(runtime)] = (
            meter.create_counter("hazardloop_deliveries", "deliveries by channel and outcome"),
            meter.create_histogram_float("hazardloop_delivery_seconds", "time to send one delivery", "s"),
        )
    return found


def record_delivery(channel: str, status: str, seconds: float) -> None:
    """One settled delivery attempt (`status`: delivered, failed_permanent, or retry)."""
    counter, duration = _for(Runtime.default())
    counter.add(1, {"channel": channel, "outcome": OUTCOMES.get(status, status)})
    duration.record(seconds, {"channel": channel})
