"""Shape a simulation as the API's JSON answer: dicts of floats, or the same as compact text."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring_ascii
from typing import Any

from landlord_portal.rules import simulator as rules
from landlord_portal.rules.simulator import Sourced


def _money(value: Decimal | None) -> float | None:
    # A JSON number, not a string. The rules already round every amount to the cent (tested).
    return None if value is None else float(value)


def _rate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_value(item) for item in value]
    if isinstance(value, frozenset):
        return sorted(str(item) for item in value)
    return value


def inputs_to_json(inputs: rules.SimulationInput) -> dict[str, Any]:
    """The inputs as the API names them (stored with a Simulation, read back to pre-fill a declaration)."""
    return {
        "commune_insee": inputs.commune_insee,
        "surface_habitable_m2": _rate(inputs.surface_habitable_m2),
        "annexes_m2": _rate(inputs.annexes_m2),
        "dpe_class": inputs.dpe_class,
        "market_rent_m2": _rate(inputs.market_rent_m2),
        "asked_rent_monthly": _money(inputs.asked_rent_monthly),
        "charges_monthly": _money(inputs.charges_monthly),
        "marginal_tax_rate": _rate(inputs.marginal_tax_rate),
        "property_tax_yearly": _money(inputs.property_tax_yearly),
        "insurance_yearly": _money(inputs.insurance_yearly),
        "vacancy_months_per_year": _rate(inputs.vacancy_months_per_year),
        "unpaid_rent_rate": _rate(inputs.unpaid_rent_rate),
        "vacant_months": inputs.vacant_months,
        "date": inputs.on.isoformat(),
    }


def _ceiling(ceiling: rules.IncomeCeiling | None) -> dict[str, Any] | None:
    if ceiling is None or ceiling.amount is None:
        return None
    return {
        "amount": _money(ceiling.amount),
        "grid": ceiling.grid,
        "area": ceiling.area,
        "year": ceiling.year,
        "income_reference_year": ceiling.income_reference_year,
        "household": "personne seule",
        "source": ceiling.source,
    }


def _option(option: rules.Option) -> dict[str, Any]:
    guarantee = option.guaranteed
    return {
        "key": option.key,
        "level": option.level.value,
        "mode": option.mode.value,
        "label": option.label,
        "eligible": option.eligible,
        "reasons": list(option.reasons),
        "rent_cap_monthly": _money(option.rent_cap_monthly),
        "rent_monthly": _money(option.rent_monthly),
        "gross_rent_yearly": _money(option.gross_rent_yearly),
        "tax_reduction_rate": _rate(option.tax_reduction_rate),
        "tax_reduction_yearly": _money(option.tax_reduction_yearly),
        "anah_premium": _money(option.anah_premium),
        "local_premiums": [
            {
                "name": line.name,
                "amount": _money(line.amount),
                "period": line.period,
                "years": line.years,
                "total": _money(line.total),
                "source": line.source,
            }
            for line in option.local_premiums
        ],
        "operator": option.operator,
        "management_fee_rate": _rate(option.management_fee_rate),
        "management_fees_yearly": _money(option.management_fees_yearly),
        "guaranteed": {
            "rent_during_vacancy": guarantee.rent_during_vacancy,
            "unpaid_rent": guarantee.unpaid_rent,
            "restoration": guarantee.restoration,
            "description": guarantee.description,
        },
        "property_tax_yearly": _money(option.property_tax_yearly),
        "insurance_yearly": _money(option.insurance_yearly),
        "taxable_income_yearly": _money(option.taxable_income_yearly),
        "income_tax_and_levies_yearly": _money(option.income_tax_and_levies_yearly),
        "net_income_yearly": _money(option.net_income_yearly),
        "net_income_over_commitment": _money(option.net_income_over_commitment),
        "tenant_income_ceiling": _ceiling(option.tenant_income_ceiling),
    }


def result_to_json(result: rules.SimulationResult, *, options: bool = True, parameters: bool = True) -> dict[str, Any]:
    """The API answer: Decimals as JSON numbers (money to the cent), dates in ISO format."""
    a = result.assumptions
    data = {
        "date": result.on.isoformat(),
        "commune": {
            "insee": result.commune.insee,
            "name": result.commune.name,
            "zone_abc": result.commune.zone_abc,
            "market_rent_m2": _money(result.market_rent_m2),
            "market_rent_source": result.market_rent_source,
            "estimate": result.estimate,
        },
        "surface_habitable_m2": _money(result.surface_habitable_m2),
        "surface_fiscale_m2": _money(result.surface_fiscale_m2),
        "surface_coefficient": _money(result.surface_coefficient),
        "commitment_years": result.commitment_years,
        "recommended": result.recommended,
        "explanation": result.explanation,
        "warnings": [{"code": notice.code, "message": notice.message} for notice in result.warnings],
        "assumptions": {
            "vacancy_months_per_year": _rate(a.vacancy_months_per_year),
            "vacancy_source": "input" if a.vacancy_from_input else "parameter",
            "unpaid_rent_rate": _rate(a.unpaid_rent_rate),
            "unpaid_rent_source": "input" if a.unpaid_from_input else "parameter",
            "marginal_tax_rate": _rate(a.marginal_tax_rate),
            "marginal_tax_rate_source": "input" if a.marginal_from_input else "parameter",
            "charges_monthly": _money(a.charges_monthly),
            "property_tax_yearly": _money(a.property_tax_yearly),
            "insurance_yearly": _money(a.insurance_yearly),
            "vacant_months": a.vacant_months,
        },
    }
    if options:
        data["options"] = [_option(option) for option in result.options]
    if parameters:
        data["parameters"] = [_parameter(p) for p in result.parameters]
    return data


def _parameter(p: Sourced[Any]) -> dict[str, Any]:
    return {
        "key": p.key,
        "label": p.label,
        "value": _value(p.value),
        "unit": p.unit,
        "valid_from": p.valid_from.isoformat() if p.valid_from else None,
        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
        "source": p.source,
        "verified": p.verified,
    }


def _dumps(data: Any) -> str:
    # Compact; non-ASCII escaped as jsonify does (faster here than writing UTF-8, then encoding it).
    return json.dumps(data, separators=(",", ":"))


@lru_cache(maxsize=2048)
def _parameter_text(p: Sourced[Any]) -> str:
    # Keyed by the whole value (key, value, source, validity): never stale, whatever the data becomes.
    return _dumps(_parameter(p))


def result_to_text(result: rules.SimulationResult) -> str:
    """``result_to_json`` as compact JSON text: what the API answers, written the fast way.

    The ~40 parameters, with their long sources, are the same from one call to the next: each is serialised
    once per process. The ten options are written directly, their Decimals as their own text (``552.02``),
    three times faster than dicts of floats through ``json.dumps``. ``test_api_text_is_the_stored_document``
    keeps the text and ``result_to_json`` equal.
    """
    data = result_to_json(result, options=False, parameters=False)
    options = ",".join(_option_text(option) for option in result.options)
    parameters = ",".join(_parameter_text(p) for p in result.parameters)
    return f'{_dumps(data)[:-1]},"options":[{options}],"parameters":[{parameters}]}}'


_text = encode_basestring_ascii  # free text as a JSON string, escaped as json.dumps does


def _num(value: Decimal | None) -> str:
    # str() of a finite Decimal is always a valid JSON number (an exponent is allowed there).
    return "null" if value is None else str(value)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _option_text(o: rules.Option) -> str:
    """One option as JSON, keys and values as ``_option`` gives them (keys, levels, modes are identifiers)."""
    g = o.guaranteed
    premiums = ",".join(
        f'{{"name":{_text(line.name)},"amount":{_num(line.amount)},"period":{_text(line.period)},'
        f'"years":{line.years},"total":{_num(line.total)},"source":{_text(line.source)}}}'
        for line in o.local_premiums
    )
    ceiling = _ceiling(o.tenant_income_ceiling)
    return (
        f'{{"key":"{o.key}","level":"{o.level.value}","mode":"{o.mode.value}","label":{_text(o.label)},'
        f'"eligible":{_bool(o.eligible)},"reasons":[{",".join(map(_text, o.reasons))}],'
        f'"rent_cap_monthly":{_num(o.rent_cap_monthly)},"rent_monthly":{_num(o.rent_monthly)},'
        f'"gross_rent_yearly":{_num(o.gross_rent_yearly)},"tax_reduction_rate":{_num(o.tax_reduction_rate)},'
        f'"tax_reduction_yearly":{_num(o.tax_reduction_yearly)},"anah_premium":{_num(o.anah_premium)},'
        f'"local_premiums":[{premiums}],"operator":{"null" if o.operator is None else _text(o.operator)},'
        f'"management_fee_rate":{_num(o.management_fee_rate)},'
        f'"management_fees_yearly":{_num(o.management_fees_yearly)},'
        f'"guaranteed":{{"rent_during_vacancy":{_bool(g.rent_during_vacancy)},"unpaid_rent":{_bool(g.unpaid_rent)},'
        f'"restoration":{_bool(g.restoration)},"description":{_text(g.description)}}},'
        f'"property_tax_yearly":{_num(o.property_tax_yearly)},"insurance_yearly":{_num(o.insurance_yearly)},'
        f'"taxable_income_yearly":{_num(o.taxable_income_yearly)},'
        f'"income_tax_and_levies_yearly":{_num(o.income_tax_and_levies_yearly)},'
        f'"net_income_yearly":{_num(o.net_income_yearly)},'
        f'"net_income_over_commitment":{_num(o.net_income_over_commitment)},'
        f'"tenant_income_ceiling":{"null" if ceiling is None else _dumps(ceiling)}}}'
    )
