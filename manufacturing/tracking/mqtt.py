"""The MQTT listener: readers publish scan events (one JSON object or an array) to ``cspms/events/<station>``
at QoS 1; the listener stores them in batches through ``ingest_committed`` and acknowledges each message only
after its batch committed (paho manual acks), so a crash loses nothing and a redelivery is dropped by event id;
durations are learned by a background ``DurationLearner`` after the ack.
A persistent session (``clean_session=False``, a fixed client id) keeps messages sent while it was away;
paho reconnects with backoff and ``on_connect`` subscribes again."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy.orm import Session, sessionmaker

from geometry.errors import InputError
from manufacturing.clock import utc_now
from manufacturing.tracking.events import ScanEvent, parse_events
from manufacturing.tracking.ingest import ingest_committed
from manufacturing.tracking.learning import DurationLearner

log = logging.getLogger(__name__)
TOPIC_PREFIX = "cspms/events"


@dataclass
class ListenerStats:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0  # messages that did not parse
    refused: int = 0  # events ingest refused (unknown pair or operation, a reused event id): acked, not stored
    batches: int = 0
    last_errors: list[str] = field(default_factory=list)


def station_of(topic: str) -> str | None:
    parts = topic.split("/")
    return parts[2] if len(parts) >= 3 and parts[2] else None


class MqttListener:
    """Subscribe, buffer, ingest in batches (``batch`` events or every ``flush_s``), ack after commit."""

    def __init__(self, sessions: sessionmaker[Session], host: str = "127.0.0.1", port: int = 1883,
                 topic: str = f"{TOPIC_PREFIX}/#", client_id: str = "cspms-tracking", batch: int = 200,
                 flush_s: float = 0.2) -> None:  # fmt: skip
        self.sessions, self.topic, self.batch, self.flush_s = sessions, topic, batch, flush_s
        self.stats = ListenerStats()
        self.learner = DurationLearner(sessions)  # durations learn off the ack path
        self._inbox: queue.Queue[tuple[list[ScanEvent], int, int]] = queue.Queue()
        self._stop = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.manual_ack_set(True)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.host, self.port = host, port

    def _on_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT connect refused: %s", reason)
            return
        client.subscribe(self.topic, qos=1)
        self.connected.set()

    def _on_message(self, client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.stats.messages += 1
        try:
            events = parse_events(json.loads(message.payload), now=utc_now(), station=station_of(message.topic))
        except (ValueError, InputError) as exc:  # a malformed message will never parse: ack it, count it
            self.stats.rejected += 1
            self.stats.last_errors = [*self.stats.last_errors[-9:], f"{message.topic}: {exc}"]
            client.ack(message.mid, message.qos)
            return
        self._inbox.put((events, message.mid, message.qos))

    def _drain(self) -> None:
        pending: list[tuple[list[ScanEvent], int, int]] = []
        deadline = time.monotonic() + self.flush_s
        while sum(len(e) for e, _, _ in pending) < self.batch and time.monotonic() < deadline:
            try:
                pending.append(self._inbox.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        if not pending:
            return
        events = [e for batch, _, _ in pending for e in batch]
        try:
            result = ingest_committed(self.sessions, events, learner=self.learner)
        except Exception:
            for item in pending:  # unacked: retried here, and redelivered by the broker if we die
                self._inbox.put(item)
            raise
        self.stats.batches += 1
        self.stats.stored += result.stored
        self.stats.duplicates += result.duplicates
        if result.refused:  # a reader cannot be answered: the reasons go to the log and the stats
            self.stats.refused += len(result.refused)
            reasons = [f"{r.event_id}: {r.code}: {r.message}" for r in result.refused]
            self.stats.last_errors = [*self.stats.last_errors, *reasons][-10:]
            log.warning("refused %d events: %s", len(reasons), "; ".join(reasons[:5]))
        for _, mid, qos in pending:  # only now: a crash before this line means the broker redelivers
            self.client.ack(mid, qos)

    def start(self) -> None:
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        threading.Thread(target=self._run, name="mqtt-ingest", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._drain()
            except Exception as exc:  # the database is down: keep the messages unacked, retry
                log.exception("ingest failed; the broker will redeliver")
                self.stats.last_errors = [*self.stats.last_errors[-9:], str(exc)]
                time.sleep(1.0)

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()
        self.learner.stop()
