"""Shop-floor tracking: scan events in (HTTP, MQTT), pair and order progress, duration models, ETAs and
delay alerts, KPIs (docs/tracking.md)."""
