"""Prometheus metrics of the Python services, read from the same figures their heartbeats send.

One registry per service (nothing global): the process collector plus the heartbeat's figures, read at scrape time,
named `sdg_<service>_<figure>`; a figure ending in `_total` is a counter, any other number a gauge.
"""

import structlog
from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from services.common.heartbeat import Figures, Heartbeat

log = structlog.get_logger("metrics")


class FiguresCollector(Collector):
    def __init__(self, service: str, figures: Figures) -> None:
        self.service, self.figures = service, figures

    def collect(self):
        for figure, value in self.figures().items():
            if not isinstance(value, int | float):  # bools are ints: model_loaded is 0 or 1
                continue
            name, description = f"sdg_{self.service}_{figure}", figure.replace("_", " ")
            if figure.endswith("_total"):
                yield CounterMetricFamily(name.removesuffix("_total"), description, value=value)
            else:
                yield GaugeMetricFamily(name, description, value=float(value))


def registry_of(service: str, figures: Figures) -> CollectorRegistry:
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    registry.register(FiguresCollector(service, figures))
    return registry


def serve_metrics(heartbeat: Heartbeat, port: int, host: str = "127.0.0.1") -> None:
    """Serves /metrics on `port` (0: not at all). A port already taken (a second process of the service on the same
    machine) is logged and skipped: metrics must not stop a service."""
    if not port:
        return
    try:
        start_http_server(port, addr=host, registry=registry_of(heartbeat.service, lambda: heartbeat.message().figures))
    except OSError as exc:
        log.warning("metrics not served", service=heartbeat.service, port=port, error=str(exc))
