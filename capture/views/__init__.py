"""Capture pages: one module per aggregate, all routes on the capture and metro blueprints."""

from capture.views import cases  # noqa: F401
