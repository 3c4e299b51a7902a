"""Every Python service tells `sdg.ops` it is alive every SDG_HEARTBEAT_S seconds, with its key figures.

The beat runs as an asyncio task beside the service. It never stops the service and never waits on RabbitMQ for
longer than one interval: a failed or slow publish is counted (`heartbeat_failures`, sent with the next beat that
goes through) and the task goes on.
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psutil
import structlog
from faststream.rabbit import RabbitBroker, RabbitQueue
from pydantic_settings import BaseSettings, SettingsConfigDict

from events.ops import OPS, ServiceHeartbeat
from services.common.instance import instance_id
from services.common.log_shipping import shipping_figures

log = structlog.get_logger("heartbeat")

Figures = Callable[[], dict[str, Any]]


class HeartbeatSettings(BaseSettings):
    """One setting shared by every service: SDG_HEARTBEAT_S."""

    model_config = SettingsConfigDict(env_prefix="SDG_")

    heartbeat_s: float = 10.0


def rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / 1_048_576, 1)


class Heartbeat:
    """Publishes a ServiceHeartbeat every `interval_s`; `figures()` adds the service's own figures to rss_mb."""

    def __init__(self, broker: RabbitBroker, service: str, figures: Figures = dict, *, instance: str = "",
                 interval_s: float | None = None, lag_of: tuple[RabbitQueue, ...] = ()) -> None:
        self.service, self.figures = service, figures
        self.broker, self.lag_of = broker, lag_of
        self.consumer_lag: int | None = None  # messages waiting in the queues this service consumes, at the last beat
        self.instance = instance or instance_id()
        self.interval_s = interval_s or HeartbeatSettings().heartbeat_s
        self.started_at = datetime.now(UTC)
        self.failures = 0
        self._task: asyncio.Task | None = None
        # Declared before the broker starts, so it is set up with the broker's other publishers.
        self._publisher = broker.publisher(exchange=OPS, routing_key=f"heartbeat.{service}", persist=False,
                                           schema=ServiceHeartbeat, title=f"heartbeat.{service}:publish")

    def message(self) -> ServiceHeartbeat:
        figures = {"rss_mb": rss_mb(), "heartbeat_failures": self.failures, **shipping_figures()}
        if self.consumer_lag is not None:
            figures["consumer_lag"] = self.consumer_lag
        try:
            figures |= self.figures()
        except Exception as exc:  # noqa: BLE001 - a broken figure must not silence the heartbeat
            figures["figures_error"] = f"{type(exc).__name__}: {exc}"
        return ServiceHeartbeat(service=self.service, instance=self.instance, started_at=self.started_at,
                                sent_at=datetime.now(UTC), interval_s=self.interval_s, figures=figures)

    async def beat(self) -> bool:
        """Sends one heartbeat; False (and counted) if RabbitMQ did not take it within one interval."""
        try:
            async with asyncio.timeout(self.interval_s):
                self.consumer_lag = await self.lag()
                await self._publisher.publish(self.message())
            return True
        except Exception as exc:  # noqa: BLE001 - RabbitMQ down, connection lost, timeout: count and go on
            self.failures += 1
            if self.failures == 1 or self.failures % 60 == 0:
                log.warning("heartbeat not sent", service=self.service, failures=self.failures,
                            error=f"{type(exc).__name__}: {exc}")
            return False

    async def lag(self) -> int | None:
        """Messages ready in the consumed queues: declaring a queue again (same arguments, no change) answers with
        its message count. None when there are none to count or the count failed: the beat goes out without it."""
        if not self.lag_of:
            return None
        try:
            waiting = 0
            for queue in self.lag_of:
                declared = await self.broker.declare_queue(queue)
                waiting += (await declared.declare()).message_count or 0
            return waiting
        except Exception as exc:  # noqa: BLE001 - a missing figure must not silence the heartbeat
            log.debug("consumer lag not read", service=self.service, error=f"{type(exc).__name__}: {exc}")
            return None

    async def run(self) -> None:
        while True:
            await self.beat()
            await asyncio.sleep(self.interval_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"heartbeat-{self.service}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
