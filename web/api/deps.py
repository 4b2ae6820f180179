"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from celery import Celery
from fastapi import Depends, Request

from manufacturing.pipeline.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def get_celery(request: Request) -> Celery:
    celery: Celery = request.app.state.celery
    return celery


ResourcesDep = Annotated[Resources, Depends(get_resources)]
CeleryDep = Annotated[Celery, Depends(get_celery)]
