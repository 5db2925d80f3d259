"""The worker's Prometheus endpoint: the Temporal SDK's metrics (`temporal_*`: task slots, poll and
schedule-to-start latencies — `temporal_workflow_task_schedule_to_start_latency` and
`temporal_activity_schedule_to_start_latency` are the signals for adding workers) and the drainer's
delivery metrics (`hazardloop_deliveries`, `hazardloop_delivery_seconds`), served by the SDK's runtime
on HAZARDLOOP_WORKER_METRICS_ADDRESS. The API's own metrics stay on its port (starter/api/app.py)."""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from runtime.settings import Settings


def worker_runtime(settings: Settings) -> Runtime | None:
    """A runtime exporting Prometheus metrics on the configured address (None: no endpoint). It becomes the
    process's default runtime, so metrics recorded through `Runtime.default()` (deliveries) are served
    on the same endpoint."""
    if not settings.worker_metrics_address:
        return None
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=settings.worker_metrics_address, durations_as_seconds=True)
        )
    )
    Runtime.set_default(runtime, error_if_already_set=False)
    return runtime
