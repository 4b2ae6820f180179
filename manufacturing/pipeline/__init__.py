"""The pipeline: stages (pure functions adapted to stored inputs), the runner, and the Celery shell."""
