"""Dramatiq entry point of the scheduler worker: `dramatiq services.scheduler.actors`.

Declaring actors needs the broker, so this module builds it on import: it is only imported by
the worker process, never by the web app or the domain.
"""
from shared.broker import setup_worker
from shared.settings import load_settings

from .service import SERVICE

broker = setup_worker(SERVICE, load_settings())
