"""The app of one API process among several (``reelserve serve --processes N``).

uvicorn's supervisor starts each process fresh and imports this factory by name, so nothing
unpicklable crosses: each process reads the same ``REELSERVE_*`` settings (the parent wrote its
command-line options there), opens its own database pool and file store, and serves the API
only. The parent has already migrated the schema and runs the one worker pool of the machine.
"""

from __future__ import annotations

from fastapi import FastAPI

from reelserve.api.app import create_app
from reelserve.bootstrap import build
from reelserve.logs import configure
from reelserve.settings import Settings


def app_from_environment() -> FastAPI:
    settings = Settings()
    configure(settings.log_level)
    return create_app(build(settings, migrate_schema=False))
