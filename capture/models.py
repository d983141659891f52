"""Capture tables (landlords, units, capture cases) arrive with the capture pipeline."""
