"""Simulator glue (no Flask): validate a request, read the reference data at its date, run the pure rules,
shape the JSON answer. The API and the simulator page both go through ``prepare`` and ``compute``."""

from landlord_portal.simulation.cache import ReferenceCache
from landlord_portal.simulation.json_output import inputs_to_json, result_to_json, result_to_text
from landlord_portal.simulation.reference import (
    commune_facts,
    income_ceilings_for,
    load_simulator_parameters,
    local_premiums_for,
    operators_for,
)
from landlord_portal.simulation.run import compute, run_simulation
from landlord_portal.simulation.validation import INVALID, Prepared, prepare, today

__all__ = [
    "INVALID",
    "Prepared",
    "ReferenceCache",
    "commune_facts",
    "compute",
    "income_ceilings_for",
    "inputs_to_json",
    "load_simulator_parameters",
    "local_premiums_for",
    "operators_for",
    "prepare",
    "result_to_json",
    "result_to_text",
    "run_simulation",
    "today",
]
