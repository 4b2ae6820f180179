"""The listener against the real Mosquitto at 127.0.0.1:1883: published events (single and batched, some
twice) are stored once each, the station taken from the topic when missing."""

import json
import socket
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from manufacturing.db.models import TrackingEvent
from manufacturing.db.session import session_scope
from manufacturing.tracking.mqtt import MqttListener
from tests.conftest import service_unavailable
from tests.manufacturing.tracking.shop import Shop, full_run


@pytest.fixture
def broker() -> None:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as exc:
        service_unavailable("Mosquitto at 127.0.0.1:1883", exc)


def wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_events_published_to_mosquitto_are_stored_once(broker: None, shop: Shop) -> None:
    prefix = f"cspms-test-{uuid.uuid4().hex[:8]}"
    listener = MqttListener(shop.sessions, topic=f"{prefix}/events/#", client_id=f"{prefix}-listener", flush_s=0.05)
    listener.start()
    try:
        assert listener.connected.wait(5)
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{prefix}-reader")
        publisher.connect("127.0.0.1", 1883)
        publisher.loop_start()
        messages = full_run(shop.serials[0])
        for m in messages[:6]:
            m.pop("station")  # the topic names it
            publisher.publish(f"{prefix}/events/CUT-1", json.dumps(m), qos=1).wait_for_publish(5)
        # Resent through the same reader (the same events: duplicates), then the rest from another topic.
        publisher.publish(f"{prefix}/events/CUT-1", json.dumps(messages[4:6]), qos=1).wait_for_publish(5)
        publisher.publish(f"{prefix}/events/LINE", json.dumps(messages[6:]), qos=1).wait_for_publish(5)
        publisher.publish(f"{prefix}/events/LINE", b"not json", qos=1).wait_for_publish(5)

        def stored() -> int:
            with session_scope(shop.sessions) as session:
                return session.scalar(select(func.count()).select_from(TrackingEvent))

        # The stats move just after the commit: wait for both.
        # Besides the readings: one inventory fact per pair, its kit reserved at release.
        assert wait_for(lambda: stored() - len(shop.serials) == len(messages) == listener.stats.stored
                        and listener.stats.rejected == 1)  # fmt: skip
        with session_scope(shop.sessions) as session:
            query = select(TrackingEvent).where(TrackingEvent.event_id == messages[0]["event_id"])
            first = session.scalars(query).one()
            assert first.station == "CUT-1"
        assert listener.stats.duplicates == 2 and listener.stats.refused == 0
        publisher.loop_stop()
        publisher.disconnect()
    finally:
        listener.stop()
