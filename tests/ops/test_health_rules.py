"""Pure unit tests of the health rules, the heartbeat task and the services' figures (no servers)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from faststream.rabbit import RabbitBroker

from events.models import JobCompleted, JobStarted, RecordGenerated, Usage
from services.api.ops.health import ComponentHealth, ingest_figures, instance_health, is_up, summarise
from services.common.heartbeat import Heartbeat
from services.worker.figures import WorkerFigures
from tests.waiting import eventually

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)
UP = ComponentHealth(up=True)


def doc(service: str, instance: str, age_s: float, interval_s: float = 10.0, **figures) -> dict:
    sent_at = NOW - timedelta(seconds=age_s)
    return {"service": service, "instance": instance, "sent_at": sent_at.isoformat(), "interval_s": interval_s,
            "started_at": (sent_at - timedelta(hours=1)).isoformat(), "figures": {"rss_mb": 100.0, **figures}}


def all_up_components() -> dict[str, ComponentHealth]:
    return {"rabbitmq": UP, "elasticsearch": UP, "rust_ingest": UP}


def test_an_instance_is_up_until_two_intervals_pass_without_a_heartbeat():
    assert is_up(NOW - timedelta(seconds=19.9), 10.0, NOW)
    assert is_up(NOW - timedelta(seconds=20), 10.0, NOW)
    assert not is_up(NOW - timedelta(seconds=20.1), 10.0, NOW)
    assert not is_up(NOW - timedelta(seconds=5), 2.0, NOW)


def test_a_worker_reports_whether_its_model_is_loaded_and_other_services_do_not():
    worker = instance_health(doc("worker", "w-1", 1, model_loaded=True), NOW)
    projector = instance_health(doc("projector", "p-1", 1, events_applied=3), NOW)
    assert worker.up and worker.model_loaded is True and worker.age_s == 1.0
    assert projector.model_loaded is None and projector.figures["events_applied"] == 3


def test_health_is_ok_when_a_stopped_worker_was_replaced_by_one_that_is_up():
    instances = [instance_health(d, NOW) for d in (
        doc("api", "a", 1), doc("projector", "p", 1), doc("coordinator", "c", 1), doc("worker", "old", 300),
        doc("worker", "new", 1))]
    health = summarise(all_up_components(), instances, NOW)
    assert health.status == "ok" and health.down == []
    assert [i.up for i in health.services if i.service == "worker"] == [False, True]


def test_health_is_degraded_and_names_a_service_with_no_instance_up():
    instances = [instance_health(d, NOW) for d in (doc("api", "a", 1), doc("projector", "p", 1),
                                                   doc("coordinator", "c", 1), doc("worker", "w", 21))]
    health = summarise(all_up_components(), instances, NOW)
    assert health.status == "degraded" and health.down == ["worker"]


def test_health_is_degraded_and_names_a_server_that_is_down():
    components = all_up_components() | {"rust_ingest": ComponentHealth(up=False, detail="connection refused")}
    instances = [instance_health(d, NOW) for d in (doc("api", "a", 1), doc("projector", "p", 1),
                                                   doc("coordinator", "c", 1), doc("worker", "w", 1))]
    assert summarise(components, instances, NOW).down == ["rust_ingest"]


def test_ingest_queue_depth_and_counters_are_read_from_its_prometheus_metrics():
    text = ("# TYPE sdg_ingest_docs_indexed_total counter\nsdg_ingest_docs_indexed_total 89\n"
            "# TYPE sdg_ingest_queue_messages_ready gauge\nsdg_ingest_queue_messages_ready 7\n"
            "# TYPE sdg_ingest_batch_latency_seconds histogram\n"
            'sdg_ingest_batch_latency_seconds_bucket{le="+Inf"} 4\nsdg_ingest_batch_latency_seconds_sum 0.1\n'
            "sdg_ingest_batch_latency_seconds_count 4\n"
            "# TYPE sdg_ingest_logs_queue_messages_ready gauge\nsdg_ingest_logs_queue_messages_ready 3\n"
            "# TYPE sdg_ingest_log_lines_dropped counter\nsdg_ingest_log_lines_dropped_total 2\n")
    assert ingest_figures(text) == {"docs_indexed_total": 89.0, "queue_depth": 7.0, "logs_queue_depth": 3.0,
                                    "log_lines_dropped_total": 2.0}


def test_worker_figures_count_running_jobs_records_and_tokens_from_published_events():
    now = [1000.0]
    figures = WorkerFigures(clock=lambda: now[0])
    envelope = {"job_id": "job-1", "sequence": 1, "event_id": uuid.uuid4(), "correlation_id": uuid.uuid4()}
    figures.count(JobStarted(**envelope, worker="w", model_id="m", backend="b"))
    for index in range(2):
        figures.count(RecordGenerated(**envelope, record_id=f"r{index}", index=index, record={},
                                      records_generated=index + 1,
                                      usage=Usage(completion_tokens=10, latency_ms=100.0 * (index + 1))))
    assert figures.as_dict() == {"jobs_running": 1, "records_total": 2, "tokens_total": 20, "records_per_s": 0.033,
                                 "tokens_per_s": 0.33, "record_latency_ms": 110.0}
    now[0] += 61  # a minute later the rates have decayed to nothing; the totals stay
    assert (figures.as_dict()["records_per_s"], figures.as_dict()["tokens_per_s"]) == (0.0, 0.0)
    figures.count(JobCompleted(**envelope, records_generated=2, records_rejected=0))
    assert figures.jobs_running == 0


class HangingPublisher:
    async def publish(self, message) -> None:
        await asyncio.sleep(3600)


class RefusingPublisher:
    async def publish(self, message) -> None:
        raise ConnectionError("RabbitMQ is down")


async def test_a_heartbeat_rabbitmq_refuses_or_never_takes_is_counted_and_the_service_goes_on():
    heartbeat = Heartbeat(RabbitBroker("amqp://guest:guest@127.0.0.1:1/"), "worker", lambda: {"model_loaded": True},
                          instance="w-1", interval_s=0.05)
    heartbeat._publisher = RefusingPublisher()
    assert await heartbeat.beat() is False
    heartbeat._publisher = HangingPublisher()
    async with asyncio.timeout(1):
        assert await heartbeat.beat() is False
    assert heartbeat.failures == 2
    message = heartbeat.message()
    assert message.figures["heartbeat_failures"] == 2 and message.figures["model_loaded"] is True
    assert message.figures["rss_mb"] > 0 and message.routing_key == "heartbeat.worker"


async def test_the_heartbeat_task_keeps_beating_after_failures_and_stops_when_asked():
    heartbeat = Heartbeat(RabbitBroker("amqp://guest:guest@127.0.0.1:1/"), "api", interval_s=0.01)
    heartbeat._publisher = RefusingPublisher()
    heartbeat.start()
    await eventually("three failed beats", lambda: heartbeat.failures, timeout_s=5, every_s=0.01,
                     until=lambda failures: failures >= 3)
    await heartbeat.stop()
    failures = heartbeat.failures
    await asyncio.sleep(0.05)  # five intervals: a task still beating would have failed again by now
    assert heartbeat.failures == failures


def test_a_broken_figure_is_reported_and_does_not_silence_the_heartbeat():
    heartbeat = Heartbeat(RabbitBroker("amqp://guest:guest@127.0.0.1:1/"), "projector", lambda: 1 / 0,
                          instance="p", interval_s=1)
    assert "ZeroDivisionError" in heartbeat.message().figures["figures_error"]


def test_prometheus_metrics_carry_the_heartbeat_figures_as_counters_and_gauges():
    from prometheus_client import generate_latest

    from services.common.metrics import registry_of

    text = generate_latest(registry_of("worker", lambda: {"rss_mb": 3.5, "records_total": 4, "model_loaded": True,
                                                          "figures_error": "skipped"})).decode()
    samples = [line for line in text.splitlines() if line.startswith("sdg_")]
    assert samples == ["sdg_worker_rss_mb 3.5", "sdg_worker_records_total 4.0", "sdg_worker_model_loaded 1.0"]
    assert "# TYPE sdg_worker_records_total counter" in text and "process_resident_memory_bytes" in text
