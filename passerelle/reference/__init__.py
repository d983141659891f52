"""Versioned reference data: official-file importers and lookups at a date."""
