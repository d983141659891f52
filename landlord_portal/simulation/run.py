"""Run the pure rules on a prepared request with the territory's data, and answer in JSON."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from landlord_portal.rules import simulator as rules
from landlord_portal.simulation.cache import ReferenceCache, cached
from landlord_portal.simulation.json_output import result_to_json
from landlord_portal.simulation.reference import income_ceilings_for, local_premiums_for, operators_for
from landlord_portal.simulation.validation import Prepared, prepare


def compute(session: Session, prepared: Prepared, cache: ReferenceCache | None = None) -> rules.SimulationResult:
    """Read the territory's data for the commune and run the rules."""
    inputs, params, commune = prepared.inputs, prepared.params, prepared.commune
    insee, on = commune.insee, inputs.on
    return rules.simulate(
        inputs,
        params,
        commune,
        premiums=cached(cache, ("premiums", insee, on), lambda: local_premiums_for(session, insee, on)),
        operators=cached(cache, ("operators", insee), lambda: operators_for(session, insee)),
        ceilings=cached(cache, ("ceilings", insee, on), lambda: income_ceilings_for(session, params, commune, on)),
    )


def run_simulation(
    session: Session, payload: Any, cache: ReferenceCache | None = None
) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Validate and simulate: the JSON result, or None and the French messages per field."""
    prepared, errors = prepare(session, payload, cache)
    if prepared is None:
        return None, errors
    return result_to_json(compute(session, prepared, cache)), {}
