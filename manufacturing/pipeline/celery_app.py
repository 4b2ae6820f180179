"""The Celery application: broker from settings, embedded filesystem broker by default.

Workers: ``cspms worker`` (or ``celery -A manufacturing.pipeline.celery_app worker``).
"""

from __future__ import annotations

from celery import Celery

from manufacturing.settings import Settings, get_settings


def make_celery(settings: Settings) -> Celery:
    app = Celery("cspms", broker=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,  # outcomes live in the database, never in a result backend
        task_acks_late=True,  # stages are idempotent: redelivery after a crash is safe
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        task_default_queue="cspms",
        worker_send_task_events=False,
        # Waiting out a broker restart: sending the next stage retries instead of giving up in a second
        # (a chain that cannot send its next step stalls; docs/deploy.md, drill 3).
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 30, "interval_start": 0.5, "interval_step": 0.5, "interval_max": 5},
    )
    if settings.broker_url.startswith(("redis://", "rediss://")):
        # A dead worker's unacknowledged message comes back after this, not the default hour (drill 2).
        app.conf.broker_transport_options = {"visibility_timeout": 900}
    if settings.uses_embedded_broker:
        queue_dir = settings.broker_dir / "queue"
        processed_dir = settings.broker_dir / "processed"
        for folder in (queue_dir, processed_dir):
            folder.mkdir(parents=True, exist_ok=True)
        app.conf.broker_transport_options = {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(processed_dir),
            "store_processed": False,
            "polling_interval": settings.broker_poll_seconds,
        }
        # The filesystem transport has no broadcast exchange for remote control.
        app.conf.worker_enable_remote_control = False
    return app


app = make_celery(get_settings())
app.conf.imports = ("manufacturing.pipeline.tasks",)
