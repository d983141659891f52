"""The public incentives simulator: the form, then the saved result (GET, so it can be reloaded and shared
with the declaration). Parse, call ``simulation``, save, commit once, redirect."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from capture.models import Simulation
from landlord_portal import bp, simulation
from landlord_portal.api import simulator_cache
from landlord_portal.simulator_forms import SimulatorForm, marginal_rate_choices
from passerelle.db import db
from passerelle.formatting import long_date, money, number, percent
from passerelle.models import Commune, Role
from passerelle.reference.queries import MissingParameter, parameter_at, resolve_commune
from passerelle.security import public

RECENT_SIMULATIONS = 10  # ids kept in the visitor's session, so the back button still finds them
DECLARATION_ENDPOINT = "landlord_portal.unit_new"
# Form field -> request field of ``simulation.prepare`` (same names otherwise).
FIELD_FOR = {"commune_insee": "commune", "unpaid_rent_rate": "unpaid_rent_percent"}
NUMBER_FIELDS = (
    "surface_habitable_m2",
    "annexes_m2",
    "market_rent_m2",
    "asked_rent_monthly",
    "charges_monthly",
    "property_tax_yearly",
    "insurance_yearly",
    "vacancy_months_per_year",
    "vacant_months",
)


def _owned_simulation(simulation_id: int | None) -> Simulation | None:
    """A simulation the visitor ran: kept in their session, or saved under their account."""
    if simulation_id is None:
        return None
    record = db.session.get(Simulation, simulation_id)
    if record is None:
        return None
    if record.user_id is not None and not (current_user.is_authenticated and record.user_id == current_user.id):
        # Saved under an account: only its owner sees it, even from a browser whose session still lists it.
        return None
    if record.id == flask_session.get("simulation_id") or record.id in flask_session.get("simulation_ids", []):
        return record
    if current_user.is_authenticated and record.user_id is not None and record.user_id == current_user.id:
        return record
    return None


def _remember(record: Simulation) -> None:
    flask_session["simulation_id"] = record.id
    recent = [record.id, *(i for i in flask_session.get("simulation_ids", []) if i != record.id)]
    flask_session["simulation_ids"] = recent[:RECENT_SIMULATIONS]


def _prefill(form: SimulatorForm, inputs: dict[str, Any], commune: Commune | None) -> None:
    """Show a previous run's inputs in the form (« modifier la simulation »)."""
    form.commune.data = f"{commune.name} ({commune.departement})" if commune else inputs.get("commune_insee")
    for name in NUMBER_FIELDS:
        value = inputs.get(name)
        if value is not None:
            getattr(form, name).data = Decimal(str(value)) if name != "vacant_months" else int(value)
    form.dpe_class.data = inputs.get("dpe_class") or ""
    if inputs.get("marginal_tax_rate") is not None:
        form.marginal_tax_rate.data = f"{Decimal(str(inputs['marginal_tax_rate'])):f}"
    if inputs.get("unpaid_rent_rate") is not None:
        form.unpaid_rent_percent.data = Decimal(str(inputs["unpaid_rent_rate"])) * 100


def _commune_code(form: SimulatorForm) -> str | None:
    """Resolve the typed commune (name or INSEE code); offer the candidates when several match."""
    text = (form.commune.data or "").strip()
    choice = form.commune_choice.data
    match = resolve_commune(db.session, text)
    if choice and any(candidate.insee == choice for candidate in match.candidates):
        return str(choice)
    if match.commune is not None:
        return match.commune.insee
    if match.candidates:
        form.commune_choice.choices = [
            (c.insee, f"{c.name} ({c.departement}) — code INSEE {c.insee}") for c in match.candidates
        ]
        form.commune.errors = [
            *form.commune.errors,
            "Plusieurs communes correspondent : choisissez la vôtre dans la liste ci-dessous.",
        ]
    else:
        form.commune.errors = [
            *form.commune.errors,
            f"Nous ne trouvons pas de commune « {text} » : vérifiez l'orthographe ou saisissez son code "
            "INSEE (différent du code postal).",
        ]
    return None


def _show_errors(form: SimulatorForm, errors: dict[str, list[str]], *, commune_known: bool) -> None:
    """Put the rules' messages on the form's fields, unless the field already says what is wrong."""
    for name, messages in errors.items():
        if name == "commune_insee" and not commune_known:
            continue  # the commune field already explains it (unknown, ambiguous or empty)
        field = getattr(form, FIELD_FOR.get(name, name), None)
        if field is None:
            form.form_errors.extend(messages)
        elif not field.errors:
            field.errors = [*field.errors, *messages]


def _payload(form: SimulatorForm, insee: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {name: getattr(form, name).data for name in NUMBER_FIELDS}
    payload.update(
        commune_insee=insee,
        dpe_class=form.dpe_class.data,
        marginal_tax_rate=form.marginal_tax_rate.data or None,
        date=simulation.today(),
    )
    if form.unpaid_rent_percent.data is not None:
        payload["unpaid_rent_rate"] = form.unpaid_rent_percent.data / 100
    return payload


@bp.route("/simulateur", methods=["GET", "POST"])
@public
def simulator() -> ResponseReturnValue:
    session = db.session
    form = SimulatorForm()
    try:
        rates = parameter_at(session, "simulator.marginal_tax_rates", simulation.today())
        form.marginal_tax_rate.choices = marginal_rate_choices(
            tuple(Decimal(part) for part in str(rates.value).split(","))
        )
        default = parameter_at(session, "simulator.default_marginal_tax_rate", simulation.today()).value
        form.marginal_tax_rate.default = f"{default:f}" if isinstance(default, Decimal) else None
    except MissingParameter:
        form.marginal_tax_rate.choices = []
    if request.method == "GET":
        previous = _owned_simulation(request.args.get("simulation", type=int))
        if previous is not None:
            _prefill(form, previous.inputs, session.get(Commune, previous.commune_insee))
        elif form.marginal_tax_rate.default:
            form.marginal_tax_rate.data = form.marginal_tax_rate.default
    elif request.method == "POST":
        valid = form.validate_on_submit()
        insee = _commune_code(form) if form.commune.data and not form.commune.errors else None
        cache = simulator_cache(current_app)
        # Checked even when the form is not: the visitor sees every problem at once.
        prepared, errors = simulation.prepare(session, _payload(form, insee), cache)
        if valid and insee is not None and prepared is not None:
            result = simulation.compute(session, prepared, cache)
            landlord = current_user.is_authenticated and current_user.role is Role.LANDLORD
            record = Simulation(
                user_id=current_user.id if landlord else None,
                commune_insee=insee,
                inputs=simulation.inputs_to_json(prepared.inputs),
                result=simulation.result_to_json(result),
            )
            session.add(record)
            session.commit()
            _remember(record)
            return redirect(url_for("landlord_portal.simulation_result", simulation_id=record.id))
        _show_errors(form, errors, commune_known=insee is not None)
    return render_template("landlord_portal/simulator.html", form=form, simulator_available=True)


@dataclass(frozen=True)
class Bar:
    label: str
    key: str
    value: Decimal
    width: Decimal  # share of the longest bar, 0–100 (SVG user units)
    recommended: bool


def chart_bars(result: dict[str, Any]) -> list[Bar]:
    """Net over the commitment of each eligible option, best first, as bars of a simple chart."""
    rows = [
        (option, Decimal(str(option["net_income_over_commitment"])))
        for option in result["options"]
        if option["eligible"] and option["net_income_over_commitment"] is not None
    ]
    rows.sort(key=lambda row: row[1], reverse=True)
    top = max((value for _, value in rows), default=Decimal(0))
    return [
        Bar(
            label=option["label"],
            key=option["key"],
            value=value,
            width=(max(value, Decimal(0)) * 100 / top).quantize(Decimal("0.1")) if top > 0 else Decimal(0),
            recommended=option["key"] == result["recommended"],
        )
        for option, value in rows
    ]


@bp.route("/simulateur/<int:simulation_id>")
@public
def simulation_result(simulation_id: int) -> ResponseReturnValue:
    record = _owned_simulation(simulation_id)
    if record is None:
        abort(404)
    result = record.result
    options = sorted(result["options"], key=lambda option: not option["eligible"])  # stable: eligible first
    recommended = next((o for o in result["options"] if o["key"] == result["recommended"]), None)
    return render_template(
        "landlord_portal/simulation_result.html",
        simulation=record,
        result=result,
        inputs=record.inputs,
        options=options,
        eligible=[o for o in options if o["eligible"]],
        ineligible=[o for o in options if not o["eligible"]],
        recommended=recommended,
        bars=chart_bars(result),
        can_declare=DECLARATION_ENDPOINT in current_app.view_functions,
        declaration_endpoint=DECLARATION_ENDPOINT,
        iso_date=date.fromisoformat,
        parameter_text=parameter_text,
    )


def parameter_text(parameter: dict[str, Any]) -> str:
    """A parameter's value as a landlord reads it: 15 %, 2 000 €, 1 janvier 2025, 9 m²…"""
    value, unit = parameter["value"], parameter.get("unit") or ""
    if value is None:  # parameters.toml: "none" is a refusal, e.g. no Loc3 reduction without IML
        return "non autorisé"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, str):
        try:
            return long_date(date.fromisoformat(value))
        except ValueError:
            return "non applicable" if value == "none" else value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if unit.startswith("taux"):
        return percent(Decimal(str(value)), 1 if Decimal(str(value)) * 1000 % 10 else 0)
    if unit.startswith("EUR"):
        return f"{money(Decimal(str(value)), cents=False)}{unit.removeprefix('EUR')}"
    return f"{number(Decimal(str(value)))} {unit}".strip()
