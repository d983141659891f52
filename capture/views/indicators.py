"""Targets and indicators: the metropolis' dashboard, targets and exports; an operator's own figures.

The metro role sees aggregates only: these pages and files carry operators, communes and campaigns, never a
landlord's or a household's name, address or contact.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.styles import Font

from capture import bp, metro_bp
from capture.forms_targets import form_data, targets_arguments, targets_form
from capture.operations.cases import CaptureError
from capture.operations.targets import set_targets
from capture.queries import indicators as queries
from capture.rules.indicators import FunnelStep, share
from passerelle.db import db
from passerelle.formatting import number
from passerelle.models import Territory

PARIS = ZoneInfo("Europe/Paris")
FIRST_YEAR = 2018  # first Logement d'abord plan: no capture target before it


def today() -> date:
    return datetime.now(PARIS).date()


def parse_year(raw: str | None, *, current: int) -> tuple[int, str | None]:
    """The year asked for (``annee``), or the current one with a French message when it cannot be used."""
    if raw in (None, ""):
        return current, None
    if not raw.isdigit() or not FIRST_YEAR <= int(raw) <= current + 5:
        return current, f"Année invalide : choisissez une année entre {FIRST_YEAR} et {current + 5}."
    return int(raw), None


def year_choices(session: Any, territory: Territory, selected: int, current: int) -> list[int]:
    years = set(range(max(FIRST_YEAR, current - 5), current + 2))
    years.update(queries.plan_years(session, territory.id))
    years.add(selected)
    return sorted(years, reverse=True)


def metro_territory() -> Territory | None:
    organisation = current_user.organisation
    return organisation.territory if organisation is not None else None


# --- charts: geometry for server-rendered SVG (no JavaScript) ------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # 0–100, share of the chart's width
    target: int | None
    target_x: float | None


def bars(items: list[tuple[str, int, int | None]]) -> list[Bar]:
    """Horizontal bars for (label, value, target) on a common scale."""
    top = max([1, *(value for _label, value, _target in items), *(t or 0 for _label, _value, t in items)])
    return [
        Bar(label, value, round(100 * value / top, 2), target, None if target is None else round(100 * target / top, 2))
        for label, value, target in items
    ]


@dataclass(frozen=True)
class MonthChart:
    width: int
    height: int
    top: int  # the value at the top of the scale
    columns: list[dict[str, Any]]  # x, y, height, label, value
    target_points: str  # SVG polyline of the target's pace
    ticks: list[dict[str, Any]]  # y, label


def month_chart(dashboard: queries.Dashboard) -> MonthChart:
    """Cumulative captures at the end of each month (bars) against the target spread over the year (line)."""
    width, height, left, bottom, top_margin = 340, 200, 34, 22, 10
    plot_h = height - bottom - top_margin
    last_month = dashboard.as_of.month if dashboard.as_of and dashboard.status == "current" else 12
    values = [m.cumulative for m in dashboard.months]
    paces = [float(m.target_cumulative) for m in dashboard.months if m.target_cumulative is not None]
    top = max([1, *values, *[int(p + 0.999) for p in paces]])
    step = (width - left - 4) / 12

    def y(value: float) -> float:
        return round(top_margin + plot_h * (1 - value / top), 1)

    columns = []
    for index, month in enumerate(dashboard.months):
        shown = dashboard.as_of is not None and index < last_month
        value = month.cumulative if shown else 0
        columns.append(
            {
                "x": round(left + index * step + step * 0.15, 1),
                "width": round(step * 0.7, 1),
                "y": y(value),
                "height": round(plot_h * value / top, 1),
                "label": month.label[0].upper(),
                "label_x": round(left + index * step + step / 2, 1),
                "shown": shown,
            }
        )
    points = " ".join(f"{round(left + (index + 1) * step, 1)},{y(pace)}" for index, pace in enumerate(paces))
    if points:
        points = f"{left},{y(0)} " + points
    ticks = [{"y": y(value), "label": number(value, 0)} for value in (0, top // 2, top)]
    return MonthChart(width, height, top, columns, points, ticks)


def funnel_bars(steps: list[FunnelStep]) -> list[Bar]:
    return bars([(step.stage.label, step.reached, None) for step in steps])


def charts(dashboard: queries.Dashboard) -> dict[str, Any]:
    return {
        "months": month_chart(dashboard),
        "operators": bars([(line.label, line.captured, line.target) for line in dashboard.by_operator]),
        "modes": bars([(line.label, line.captured, line.target) for line in dashboard.by_mode]),
        "funnel": funnel_bars(dashboard.funnel),
    }


# --- the metropolis ------------------------------------------------------------------------------------------


@metro_bp.route("/tableau-de-bord")
def dashboard():
    territory = metro_territory()
    if territory is None:
        return render_template("capture/metro_dashboard.html", territory=None, d=None)
    session = db.session
    current = today()
    year, error = parse_year(request.args.get("annee"), current=current.year)
    data = queries.build_dashboard(
        session,
        queries.territory_scope(session, territory),
        year,
        today=current,
        cache=queries.inputs_cache(current_app),
    )
    return render_template(
        "capture/metro_dashboard.html",
        territory=territory,
        d=data,
        charts=charts(data),
        years=year_choices(session, territory, year, current.year),
        year_error=error,
    )


@metro_bp.route("/objectifs", methods=["GET", "POST"])
def targets():
    territory = metro_territory()
    if territory is None:
        abort(404)
    session = db.session
    current = today()
    scope = queries.territory_scope(session, territory)
    raw_year = request.form.get("annee") if request.method == "POST" else request.args.get("annee")
    year, error = parse_year(raw_year, current=current.year)
    stored = queries.plan_targets(session, territory.id, year)
    form = targets_form(scope.operators, data=form_data(stored, scope.operators, year))
    if error and request.method == "POST":
        form.annee.errors = [error]
    elif form.validate_on_submit():
        try:
            set_targets(session, territory, year, **targets_arguments(form), by=current_user)
        except CaptureError as exc:
            session.rollback()
            form.total.errors = [*form.total.errors, str(exc)]
        else:
            session.commit()
            flash(f"Objectifs {year} enregistrés.", "success")
            return redirect(url_for("metro.dashboard", annee=year))
    return render_template(
        "capture/metro_targets.html",
        territory=territory,
        form=form,
        year=year,
        year_error=error,
        years=year_choices(session, territory, year, current.year),
        stored=stored,
    )


def _export_dashboard() -> queries.Dashboard | ResponseReturnValue:
    territory = metro_territory()
    if territory is None:
        abort(404)
    current = today()
    year, error = parse_year(request.args.get("annee"), current=current.year)
    if error:
        flash(error, "error")
        return redirect(url_for("metro.dashboard"))
    session = db.session
    return queries.build_dashboard(
        session,
        queries.territory_scope(session, territory),
        year,
        today=current,
        cache=queries.inputs_cache(current_app),
    )


def _filename(data: queries.Dashboard, extension: str) -> str:
    return f"indicateurs-captation-{data.scope.territory.epci_code}-{data.year}.{extension}"


@metro_bp.route("/indicateurs.csv")
def export_csv():
    data = _export_dashboard()
    if not isinstance(data, queries.Dashboard):
        return data
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Territoire", "Année", "Rubrique", "Élément", "Mesure", "Valeur"])
    for table in export_tables(data):
        for row in table.rows:
            for column, value in zip(table.columns[1:], row[1:], strict=True):
                writer.writerow(
                    [data.scope.territory.name, data.year, table.title, row[0], column.header, _csv(value, column.kind)]
                )
    body = "\ufeff" + buffer.getvalue()  # BOM: Excel (French settings) then reads UTF-8 and the ';' separator
    return Response(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "csv")}"'},
    )


@metro_bp.route("/indicateurs.xlsx")
def export_xlsx():
    data = _export_dashboard()
    if not isinstance(data, queries.Dashboard):
        return data
    book = Workbook()
    book.remove(book.active)
    for table in export_tables(data):
        sheet = book.create_sheet(table.sheet)
        sheet.append([f"{table.title} — {data.scope.territory.name}, {data.year}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append([column.header for column in table.columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx(value, column.kind) for value, column in zip(row, table.columns, strict=True)])
            for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
                if column.kind in XLSX_FORMATS:
                    cell.number_format = XLSX_FORMATS[column.kind]
        for index in range(len(table.columns)):
            sheet.column_dimensions[chr(ord("A") + index)].width = 14 if index else 44
    method = book.create_sheet("Méthode")
    for line in METHOD_LINES:
        method.append([line])
    method.column_dimensions["A"].width = 120
    output = io.BytesIO()
    book.save(output)
    return Response(
        output.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_filename(data, "xlsx")}"'},
    )


# --- an operator's own figures ---------------------------------------------------------------------------------


@bp.route("/indicateurs")
def indicators():
    organisation = current_user.organisation
    scope = queries.operator_scope(organisation) if organisation is not None else None
    if scope is None:
        return render_template("capture/indicators.html", d=None)
    session = db.session
    current = today()
    year, error = parse_year(request.args.get("annee"), current=current.year)
    data = queries.build_dashboard(session, scope, year, today=current, cache=queries.inputs_cache(current_app))
    return render_template(
        "capture/indicators.html",
        d=data,
        charts=charts(data),
        years=year_choices(session, scope.territory, year, current.year),
        year_error=error,
    )


# --- export tables --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "int"  # text | int | share | money | days | number | date


@dataclass(frozen=True)
class Table:
    title: str
    sheet: str
    columns: list[Column]
    rows: list[list[Any]]


XLSX_FORMATS = {"share": "0.0%", "money": '#,##0.00" €"', "days": "0.0", "number": "0.0", "date": "dd/mm/yyyy"}

METHOD_LINES = [
    "Méthode des indicateurs de captation (Passerelle)",
    "Logement capté : à la date (heure de Paris) où son dossier passe à « accord signé ».",
    "Formule et niveau : ceux de l'accord signé, sinon ceux souhaités pour le logement.",
    "Projection = captés à date + rythme (captés / jours écoulés) × jours restants + somme, sur les dossiers "
    "ouverts, de la probabilité d'aboutir depuis leur étape.",
    "Probabilité d'aboutir depuis une étape : parmi les dossiers clos (signés ou perdus) des 12 derniers mois à "
    "cette étape ou au-delà, la part signée ; valeur par défaut du référentiel sous le minimum de dossiers.",
    "Entonnoir : dossiers ouverts dans l'année ; une étape est atteinte si le dossier l'a atteinte ou a atteint "
    "une étape suivante ; délai médian en jours entre la première arrivée à une étape et à la suivante.",
    "Vacance avant captation : date de captation − date de début de vacance ; à défaut, durée de vacance du "
    "fichier importé (mois × 30,44 jours) + jours entre l'ouverture du dossier et la captation.",
    "Coût par logement capté : coût de la campagne / logements captés parmi les contacts qui lui sont attribués.",
    "Données agrégées : aucune donnée personnelle de propriétaire ou de ménage.",
]


def export_tables(d: queries.Dashboard) -> list[Table]:
    """The dashboard as tables, for the CSV and XLSX exports (and nothing more than the page shows)."""
    projection = d.projection
    summary_rows: list[list[Any]] = [
        ["Logements captés à date", d.captured, d.target],
        ["Avancement vers l'objectif (%)", _pct(d.progress), None],
        ["Projection de fin d'année", _round(projection.value) if projection else None, d.target],
        ["Part en mandat de gestion (%)", _pct(d.mandate_share), _pct(d.mandate_share_target)],
        ["Nouveaux dossiers dans l'année", d.opened, None],
        ["Vacance médiane avant captation (jours)", d.vacancy.median_days, None],
        ["Vacance moyenne avant captation (jours)", d.vacancy.mean_days, None],
    ]
    tables = [
        Table(
            "Synthèse",
            "Synthèse",
            [Column("Indicateur", "text"), Column("Valeur", "number"), Column("Objectif", "number")],
            summary_rows,
        ),
        Table(
            "Captations par mois",
            "Par mois",
            [Column("Mois", "text"), Column("Captés"), Column("Cumul"), Column("Rythme de l'objectif", "number")],
            [[m.label.capitalize(), m.captured, m.cumulative, _round(m.target_cumulative)] for m in d.months],
        ),
        _breakdown("Par opérateur", "Opérateur", d.by_operator, d.captured),
        _breakdown("Par formule", "Formule", d.by_mode, d.captured),
        _breakdown("Par niveau de loyer", "Niveau", d.by_level, d.captured),
        _breakdown("Par commune", "Commune", d.by_commune, d.captured),
        Table(
            "Par origine des contacts",
            "Par origine",
            [Column("Origine", "text"), Column("Nouveaux dossiers"), Column("Captés")],
            [[line.label, line.leads, line.captured] for line in d.by_source],
        ),
        Table(
            "Campagnes",
            "Campagnes",
            [
                Column("Campagne", "text"),
                Column("Canal", "text"),
                Column("Début", "date"),
                Column("Fin", "date"),
                Column("Coût (€)", "money"),
                Column("Contacts attribués"),
                Column("Logements captés"),
                Column("Coût par logement capté (€)", "money"),
            ],
            [
                [c.name, c.channel, c.starts_on, c.ends_on, c.cost, c.leads, c.captured, c.cost_per_captured]
                for c in d.campaigns
            ],
        ),
        Table(
            "Entonnoir des dossiers ouverts dans l'année",
            "Entonnoir",
            [
                Column("Étape", "text"),
                Column("Dossiers ayant atteint l'étape"),
                Column("Passage à l'étape suivante", "share"),
                Column("Délai médian jusqu'à l'étape suivante (jours)", "days"),
            ],
            [[s.stage.label, s.reached, s.conversion_to_next, s.median_days_to_next] for s in d.funnel],
        ),
        Table(
            "Motifs de perte",
            "Pertes",
            [Column("Motif", "text"), Column("Dossiers perdus dans l'année")],
            [[line.label, line.captured] for line in d.lost],
        ),
    ]
    if projection is not None and projection.pipeline:
        tables.append(
            Table(
                "Projection : dossiers en cours",
                "Projection",
                [
                    Column("Étape", "text"),
                    Column("Dossiers ouverts"),
                    Column("Probabilité d'aboutir", "share"),
                    Column("Source", "text"),
                    Column("Captations attendues", "number"),
                ],
                [
                    [
                        line.stage.label,
                        line.open_cases,
                        line.probability,
                        "historique du territoire" if d.probabilities[line.stage].from_history else "valeur par défaut",
                        _round(line.expected),
                    ]
                    for line in projection.pipeline
                ],
            )
        )
    return tables


def _breakdown(title: str, header: str, lines: list[queries.Line], total: int) -> Table:
    return Table(
        title,
        title.removeprefix("Par ").capitalize()[:31],
        [Column(header, "text"), Column("Captés"), Column("Part", "share"), Column("Objectif")],
        [[line.label, line.captured, share(line.captured, total), line.target] for line in lines],
    )


def _pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else (value * 100).quantize(Decimal("0.1"))


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.1"))


def _csv(value: Any, kind: str) -> str:
    """French spreadsheet conventions: decimal comma, dates dd/mm/yyyy, shares in %."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind == "share":
        return _decimal_comma((Decimal(value) * 100).quantize(Decimal("0.1")))
    if kind == "money":
        return _decimal_comma(Decimal(value).quantize(Decimal("0.01")))
    if isinstance(value, float | Decimal):
        return _decimal_comma(Decimal(str(value)))
    return str(value)


def _decimal_comma(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def _xlsx(value: Any, kind: str) -> Any:
    if isinstance(value, Decimal):
        return float(value) if kind in {"share", "number", "days"} else float(value.quantize(Decimal("0.01")))
    return value
