"""gunicorn settings, read by ``gunicorn 'passerelle:create_app()'`` started from the project's directory.

Sync workers (one request at a time per process): the app is CPU-bound (pages, PDFs, OpenFisca) and keeps no
state between requests. ``WEB_CONCURRENCY`` sets their number (gunicorn's default advice: 2 × cores + 1).
"""

from __future__ import annotations

import gc
import os
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# Bounded memory: a worker is replaced after this many requests (jitter so they do not all restart at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10


def post_worker_init(worker: Any) -> None:
    """Leave the objects built at start-up (Flask, SQLAlchemy, OpenFisca's tax and benefit system: some 200,000)
    out of the garbage collector's full passes, which otherwise scan them all, in the middle of a request, every
    time enough new objects have survived (hundreds of milliseconds each on a loaded machine)."""
    gc.freeze()
