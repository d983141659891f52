"""Capture pages: one module per aggregate, all routes on the capture and metro blueprints."""

from capture.views import (
    agreements,  # noqa: F401
    campaigns,  # noqa: F401
    cases,  # noqa: F401
    indicators,  # noqa: F401
)
