"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from celery import Celery
from fastapi import Depends, Path, Request

from manufacturing.pipeline.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def get_celery(request: Request) -> Celery:
    celery: Celery = request.app.state.celery
    return celery


ResourcesDep = Annotated[Resources, Depends(get_resources)]
# Record ids are 32-bit integers on PostgreSQL: a bigger number names no record, and is refused as such (422).
MAX_RECORD_ID = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_RECORD_ID, description="A record's id.")]
CeleryDep = Annotated[Celery, Depends(get_celery)]
