"""The metropolis dashboard as JSON (the API's answer and the daily snapshots): aggregates only, no personal data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from capture.queries import indicators as queries


def _num(value: Decimal | float | int | None, places: str = "0.0001") -> float | None:
    """A JSON number (rates to 4 decimals, amounts to the cent); None stays null."""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal(places)))


def _lines(lines: list[queries.Line], *, with_target: bool = True) -> list[dict[str, Any]]:
    result = []
    for line in lines:
        item: dict[str, Any] = {"key": line.key, "label": line.label, "captured": line.captured}
        if with_target:
            item["target"] = line.target
        if line.leads is not None:
            item["new_cases"] = line.leads
        result.append(item)
    return result


def dashboard_json(d: queries.Dashboard) -> dict[str, Any]:
    """The dashboard as JSON: the same figures as the page, no personal data."""
    p = d.projection
    return {
        "territory": {"epci_code": d.scope.territory.epci_code, "name": d.scope.territory.name},
        "year": d.year,
        "status": d.status,
        "as_of": d.as_of.isoformat() if d.as_of else None,
        "captured": {
            "total": d.captured,
            "target": d.target,
            "progress": _num(d.progress),
            "by_month": [
                {
                    "month": m.month,
                    "captured": m.captured,
                    "cumulative": m.cumulative,
                    "target_cumulative": _num(m.target_cumulative, "0.01"),
                }
                for m in d.months
            ],
        },
        "projection": None
        if p is None
        else {
            "value": _num(p.value, "0.1"),
            "closed_year": p.closed_year,
            "captured": p.captured,
            "elapsed_days": p.elapsed_days,
            "remaining_days": p.remaining_days,
            "run_rate_per_day": _num(p.run_rate_per_day),
            "run_rate_part": _num(p.run_rate_part, "0.01"),
            "pipeline_part": _num(p.pipeline_part, "0.01"),
            "on_track": d.on_track,
            "pipeline": [
                {
                    "stage": line.stage.value,
                    "label": line.stage.label,
                    "open_cases": line.open_cases,
                    "probability": _num(line.probability),
                    "probability_source": "history" if d.probabilities[line.stage].from_history else "default",
                    "closed_cases_12_months": d.probabilities[line.stage].closed_cases,
                    "expected": _num(line.expected, "0.01"),
                }
                for line in p.pipeline
            ],
            "method": "captured + captured / elapsed_days × remaining_days + Σ open cases × P(stage → signed); "
            "P from the cases closed (signed or lost) in the previous 12 months, default when fewer than "
            f"{d.min_closed_cases} closed cases",
        },
        "projection_unavailable": d.projection_unavailable,
        "mandate_share": {"value": _num(d.mandate_share), "target": _num(d.mandate_share_target)},
        "by_operator": _lines(d.by_operator),
        "by_mode": _lines(d.by_mode, with_target=not d.scope.is_operator),
        "by_level": _lines(d.by_level, with_target=not d.scope.is_operator),
        "by_commune": [{"insee": line.key, "name": line.label, "captured": line.captured} for line in d.by_commune],
        "by_source": _lines(d.by_source, with_target=False),
        "campaigns": [
            {
                "name": c.name,
                "channel": c.channel,
                "starts_on": c.starts_on.isoformat(),
                "ends_on": c.ends_on.isoformat(),
                "cost": _num(c.cost, "0.01"),
                "new_cases": c.leads,
                "captured": c.captured,
                "cost_per_captured": _num(c.cost_per_captured, "0.01"),
            }
            for c in d.campaigns
        ],
        "funnel": {
            "cohort": f"cases opened in {d.year}",
            "cases": d.opened,
            "stages": [
                {
                    "stage": s.stage.value,
                    "label": s.stage.label,
                    "reached": s.reached,
                    "conversion_to_next": _num(s.conversion_to_next),
                    "median_days_to_next": s.median_days_to_next,
                }
                for s in d.funnel
            ],
        },
        "lost": [{"reason": line.key, "label": line.label, "cases": line.captured} for line in d.lost],
        "vacancy_before_capture": {
            "captured": d.vacancy.captured,
            "known": d.vacancy.known,
            "from_vacant_since": d.vacancy.from_vacant_since,
            "from_vacancy_months": d.vacancy.from_vacancy_months,
            "median_days": d.vacancy.median_days,
            "mean_days": d.vacancy.mean_days,
        },
    }


# --- OpenAPI -----------------------------------------------------------------------------------------------
