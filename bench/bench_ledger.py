"""The rent ledger of a metropolis on PostgreSQL: rent calls for 100,000 leases, 10,000 quittances as PDF.

``passerelle demo --scale N`` data (``BENCH_LEDGER_SCALE``, default 50,000) in a fresh schema of
``BENCH_DATABASE_URL`` (PostgreSQL; without it nothing is measured). The demo has a few leases, so the bench
adds ``BENCH_LEDGER_LEASES`` (default 100,000) in bulk SQL on top of it, untimed: for each, a unit, its capture
case, signed agreement and stock entry (owners: the demo's, in turn) and a housed household, cloned from a demo
lease under mandate or in sous-location, with varied rents, charges, housing benefit and tenants' names; 2 % start
during the month called (a prorated first month). The calls of the four months before exist (the ledger of a
running agency, inserted in SQL), so that the measured run does what the monthly job does. Then, in one run:

- ``issue_rent_calls`` on the operators' call day (the next month for every lease), committed — target under
  10 s; a second run, which must create nothing;
- the row-by-row way on ``ROW_BY_ROW`` leases and the month after: ``issue_rent_call`` and a commit per lease,
  extrapolated to all the leases — the ratio of the two;
- ``issue_receipts`` for ``BENCH_LEDGER_RECEIPTS`` (default 10,000) calls of this month fully paid (household
  transfer or cheque, plus the CAF/MSA's tiers payant when the lease has one: payments and allocations inserted
  in SQL), committed — target under 60 s; then ``RENDER_SAMPLE`` of those quittances deleted and issued again,
  rendered in this process (``PASSERELLE_RENDER_WORKERS=1``, the baseline, extrapolated to all), then by the
  workers of agency_backoffice/operations/receipt_rendering.py; both must store the same bytes as the first run.

Wall-clock times on a shared machine move with its load: the load average is printed with each measure.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from flask import Flask
from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.orm import Session

from agency_backoffice.models import Household, Lease, LedgerDocument, LedgerDocumentKind, LedgerEntry
from agency_backoffice.operations import ledger_documents
from agency_backoffice.operations.ledger import issue_rent_call, issue_rent_calls
from agency_backoffice.operations.receipt_rendering import default_workers
from agency_backoffice.rules.ledger import month_start
from bench import Result
from bench.bench_dashboard import fresh_postgresql, prepare
from capture.models import Agreement, CaptureCase, StockEntry, Unit
from capture.rules.locavantages import add_months
from passerelle.db import db
from passerelle.models import Organisation

NAME = "loyers (PostgreSQL)"
ROW_BY_ROW = 2_000
RENDER_SAMPLE = 500
HISTORY_MONTHS = 4  # the current month and the three before: what the job's catch-up looks at
FIRST_NAMES = (
    "Amina", "Lucas", "Zoé", "Mohamed", "Chloé", "Benoît", "Fatoumata", "Théo", "Inès", "Grégoire", "Yasmine",
    "Noël", "Maëlle", "Karim", "Héloïse", "Sékou", "Anaïs", "Jérôme", "Leïla", "François",
)  # fmt: skip
LAST_NAMES = (
    "Diallo", "Martin", "Lefèvre", "Nguyen", "Benali", "Dupont-Moreau", "Traoré", "Kowalczyk", "Da Silva", "Roux",
    "Haddad", "Fontaine", "Ngô", "Bouchard", "Mbappé", "Lacroix", "Öztürk", "Garnier", "Camara", "Petitjean",
    "Lukasik", "Renaud", "Cissé", "Vasseur", "Bernard",
)  # fmt: skip
STREETS = (
    "rue Ernestale", "rue Gambetta", "boulevard de Strasbourg", "rue des Trois-Visages", "avenue Michonneau",
    "rue Saint-Aubert", "place des Héros", "rue de la Taillerie", "rue du Marché-au-Filé", "rue Émile Zola",
)  # fmt: skip


def scale() -> int:
    return int(os.environ.get("BENCH_LEDGER_SCALE", "50000"))


def leases_wanted() -> int:
    return int(os.environ.get("BENCH_LEDGER_LEASES", "100000"))


def receipts_wanted() -> int:
    return int(os.environ.get("BENCH_LEDGER_RECEIPTS", "10000"))


def load() -> str:
    return f"charge {os.getloadavg()[0]:.1f} / {os.cpu_count()} cœurs"


@contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous


def run() -> list[Result]:
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        return [Result(NAME, "BENCH_DATABASE_URL absent : non mesuré", 0, "", target="PostgreSQL requis")]
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as folder, fresh_postgresql(base) as url:
        with environment("BENCH_SCALE", str(scale())):  # bench_dashboard.prepare reads the scale there
            app = prepare(url, folder)
        try:
            with app.app_context():
                return measure(app)
        finally:
            db.engine_for(app).dispose()


def measure(app: Flask) -> list[Result]:
    session = db.session
    out = [Result(NAME, f"démo --scale {scale()} : génération", app.config["BENCH_SEED_SECONDS"], "s")]
    started = time.perf_counter()
    month = month_start(date.today())
    first, count = add_leases(session, leases_wanted(), month)
    call_day = max(session.scalars(select(Organisation.rent_call_day)).all())
    history = add_history(session, month, first)
    session.commit()
    analyze(session)
    out.append(Result(NAME, f"+ {count} baux et {history} appels passés (SQL)", time.perf_counter() - started, "s",
                      target="non chronométré dans les mesures"))  # fmt: skip
    leases = session.scalar(select(func.count()).select_from(Lease)) or 0

    # Set-based: the job's run on the call day creates next month's calls for every lease.
    on = month.replace(day=call_day)
    issue_rent_calls(session, on - timedelta(days=1))  # what the demo's own leases miss (untimed)
    session.commit()
    started = time.perf_counter()
    calls = issue_rent_calls(session, on)
    session.commit()
    set_based = time.perf_counter() - started
    started = time.perf_counter()
    again = issue_rent_calls(session, on)
    session.commit()
    second = time.perf_counter() - started
    if again.created:
        raise RuntimeError(f"second passage : {again.created} appels créés au lieu de 0")

    # Row by row: one lease at a time, a commit each, on the month after (so that every call is new).
    period = add_months(month, 2)
    sample = session.scalars(select(Lease.id).order_by(Lease.id.desc()).limit(ROW_BY_ROW)).all()
    session.expunge_all()
    started = time.perf_counter()
    made = 0
    for lease_id in sample:
        lease = session.get_one(Lease, lease_id)
        made += issue_rent_call(session, lease, period, on=add_months(on, 1)) is not None
        session.commit()
    per_lease = (time.perf_counter() - started) / len(sample)
    extrapolated = per_lease * calls.created
    out += [
        Result(NAME, f"appels de loyer : {calls.created} créés (ensembliste)", set_based, "s",
               baseline=extrapolated, target=f"< 10 s ; {leases} baux ; {load()}"),
        Result(NAME, "appels de loyer : second passage (0 créé)", second, "s", target=f"{again.created} créé"),
        Result(NAME, f"ligne à ligne : {made} baux, 1 commit chacun", per_lease * 1000, "ms",
               target="par bail"),
        Result(NAME, f"ligne à ligne extrapolé à {calls.created}", extrapolated, "s",
               baseline=set_based, target="ratio = ensembliste plus rapide de ×…"),
    ]  # fmt: skip
    out += receipts(session, month)
    return out


def receipts(session: Session, month: date) -> list[Result]:
    """Every receipt due, then a sample issued again: rendered in this process, then by the workers."""
    on = month.replace(day=28)
    pay(session, month, receipts_wanted())
    session.commit()
    analyze(session)
    session.expunge_all()
    started, cpu = time.perf_counter(), os.times()
    issued = len(ledger_documents.issue_receipts(session, on=on).documents)
    session.commit()
    elapsed, main_cpu = time.perf_counter() - started, sum(os.times()[:2]) - sum(cpu[:2])

    sample = session.execute(
        select(LedgerDocument.entry_id, LedgerDocument.sha256)
        .where(LedgerDocument.kind == LedgerDocumentKind.QUITTANCE, LedgerDocument.issued_on == on)
        .order_by(LedgerDocument.id)
        .limit(RENDER_SAMPLE)
    ).all()
    calls, stored = [row[0] for row in sample], sorted(row[1] for row in sample)
    per_document, cpu_per_document = {}, 0.0
    for workers in (1, default_workers()):
        session.execute(
            delete(LedgerDocument).where(
                LedgerDocument.entry_id.in_(calls), LedgerDocument.kind == LedgerDocumentKind.QUITTANCE
            )
        )
        session.commit()
        session.expunge_all()
        with environment("PASSERELLE_RENDER_WORKERS", str(workers)):
            started, cpu_started = time.perf_counter(), time.process_time()
            again = ledger_documents.issue_receipts(session, on=on)
            session.commit()
            per_document[workers] = (time.perf_counter() - started) / len(sample)
            if workers == 1:
                cpu_per_document = (time.process_time() - cpu_started) / len(sample)
        if sorted(document.sha256 for document in again.documents) != stored:
            raise RuntimeError(f"{workers} processus : octets différents de la première émission (même entrée)")
    alone, pooled = per_document[1], per_document[default_workers()]
    return [
        Result(NAME, f"quittances : {issued} (PDF stockés, commit)", elapsed, "s", baseline=alone * issued,
               target=f"< 60 s ; {default_workers()} processus de rendu ; {load()}"),
        Result(NAME, "quittances : CPU du processus principal", main_cpu, "s", target="grand livre, stockage"),
        Result(NAME, f"réémission de {len(sample)} : rendu dans ce processus", alone * 1000, "ms",
               target="par quittance ; mêmes octets"),
        Result(NAME, f"réémission de {len(sample)} : {default_workers()} processus", pooled * 1000, "ms",
               baseline=alone * 1000, target=f"par quittance, démarrage compris ; mêmes octets ; {load()}"),
        # On a loaded machine the wall clock says little: what the same work needs on idle cores.
        Result(NAME, "CPU par quittance (rendu + grand livre)", cpu_per_document * 1000, "ms",
               target="mesuré dans ce processus"),
        Result(NAME, f"{issued} quittances sur {default_workers()} cœurs libres",
               max(main_cpu, issued * cpu_per_document / default_workers()), "s",
               target="estimation : CPU total / cœurs"),
    ]  # fmt: skip


# --- data added in bulk SQL on top of the demo -------------------------------------------------------------------


def _table(model: type) -> Table:
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _next_id(session: Session, table: Table) -> int:
    return (session.scalar(select(func.max(table.c.id))) or 0) + 1


def _clone(session: Session, table: Table, template: int, first_id: int, rows: range, values: dict[str, str]) -> None:
    """INSERT … SELECT of ``len(rows)`` copies of row ``template``, ``id = first_id + g`` and ``values`` SQL of g."""
    names = [column.name for column in table.columns if column.name != "id"]
    columns = ", ".join(names)
    chosen = ", ".join(values.get(name, f"src.{name}") for name in names)
    session.execute(
        text(
            f"INSERT INTO {table.name} (id, {columns}) SELECT CAST(:first AS integer) + g, {chosen} "  # noqa: S608 - our own tables
            f"FROM {table.name} AS src, generate_series(CAST(:low AS integer), CAST(:high AS integer)) AS g, "
            "(SELECT array_agg(id ORDER BY id) AS ids FROM landlords) AS owners WHERE src.id = :template"
        ),
        {"first": first_id - 1, "low": rows.start, "high": rows.stop - 1, "template": template},
    )


def _names(values: tuple[str, ...], index: str) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"(ARRAY[{quoted}])[1 + ({index}) % {len(values)}]"


def add_leases(session: Session, count: int, month: date) -> tuple[int, int]:
    """``count`` active leases with their unit, case, agreement, stock entry and household, cloned from the demo's."""
    templates = [
        lease
        for lease in session.scalars(select(Lease).where(Lease.status == "active").order_by(Lease.id)).all()
        if lease.mode.value in ("mandate", "sublease")
    ]
    by_mode = {lease.mode.value: lease for lease in templates}
    if not by_mode:
        raise RuntimeError("la démo n'a aucun bail actif à reproduire")
    models = {"unit": Unit, "case": CaptureCase, "agreement": Agreement, "entry": StockEntry, "household": Household}
    tables = {key: _table(model) for key, model in (*models.items(), ("lease", Lease))}
    first = {key: _next_id(session, table) for key, table in tables.items()}
    owner = "owners.ids[1 + g % array_length(owners.ids, 1)]"
    rent = "(300 + (g::bigint * 7919) % 50000 / 100.0)::numeric(12, 2)"
    charges = "(20 + (g::bigint * 104729) % 6000 / 100.0)::numeric(12, 2)"
    # A third of the households receive a housing benefit paid to the operator (tiers payant), a tenth of them by
    # the MSA; always less than rent and charges.
    benefit = "(CASE WHEN g % 3 = 0 THEN 120 + (g * 31) % 15000 / 100.0 ELSE 0 END)::numeric(12, 2)"
    # 2 % move in during the month called next; the others moved in years ago.
    starts = (
        f"CASE WHEN g % 50 = 0 THEN DATE '{add_months(month, 1)}' + (g % 27) "
        f"ELSE DATE '{add_months(month, -60)}' + (g % 1500) END"
    )
    tenant = f"{_names(FIRST_NAMES, 'g')} || ' ' || {_names(LAST_NAMES, 'g / 20')}"
    second = f"{_names(FIRST_NAMES, 'g / 7')} || ' ' || {_names(LAST_NAMES, 'g / 20')}"
    modes = sorted(by_mode)
    half = count // len(modes)
    low = 1
    for number, mode in enumerate(modes):
        template = by_mode[mode]
        high = count + 1 if number == len(modes) - 1 else low + half
        rows = range(low, high)
        g = {key: f"{first[key] - 1} + g" for key in first}
        _clone(session, tables["unit"], template.unit_id, first["unit"], rows, {
            "landlord_id": owner,
            "address": f"(1 + g % 240) || ' ' || {_names(STREETS, 'g / 3')}",
            "address_complement": "'Appartement ' || (1 + g % 40)",
        })  # fmt: skip
        _clone(session, tables["case"], template.agreement.case_id, first["case"], rows, {
            "unit_id": g["unit"], "landlord_id": owner, "owner_id": "NULL", "campaign_id": "NULL",
        })  # fmt: skip
        _clone(session, tables["agreement"], template.agreement_id, first["agreement"], rows, {
            "case_id": g["case"], "unit_id": g["unit"], "landlord_id": owner, "rent": rent, "charges": charges,
        })  # fmt: skip
        _clone(session, tables["entry"], template.stock_entry_id, first["entry"], rows, {
            "unit_id": g["unit"], "agreement_id": g["agreement"], "rent": rent, "charges": charges,
            "status": "'let'", "available_on": f"DATE '{add_months(month, -61)}'",
        })  # fmt: skip
        _clone(session, tables["household"], template.household_id, first["household"], rows, {
            "siao_reference": "'BANC-' || lpad(g::text, 7, '0')", "status": "'housed'", "contact_name": tenant,
        })  # fmt: skip
        _clone(session, tables["lease"], template.id, first["lease"], rows, {
            "unit_id": g["unit"], "stock_entry_id": g["entry"], "agreement_id": g["agreement"],
            "landlord_id": owner, "household_id": g["household"], "proposal_id": "NULL", "slid_from_id": "NULL",
            "tenants": f"CASE WHEN g % 4 = 0 THEN json_build_array({tenant}, {second}) "
                       f"ELSE json_build_array({tenant}) END",
            "rent": rent, "charges": charges, "deposit": "0", "benefit_monthly": benefit,
            "benefit_payer": "CASE WHEN g % 3 <> 0 THEN NULL WHEN g % 30 = 0 THEN 'msa' ELSE 'caf' END",
            "starts_on": starts, "available_on": f"DATE '{add_months(month, -61)}'", "payment_day": "1 + g % 10",
            "status": "'active'", "activated_on": starts, "signed_on": f"({starts}) - 5",
            "ended_on": "NULL", "end_reason": "NULL", "notice_on": "NULL", "revision_on": "NULL",
            "deposit_outcome": "NULL",
        })  # fmt: skip
        low = high
    for table in tables.values():
        session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")  # noqa: S608
        )
    return first["lease"], count


def add_history(session: Session, month: date, first_lease: int) -> int:
    """The calls of the current month and the three before for the added leases (moved in before them)."""
    created = 0
    for back in range(HISTORY_MONTHS - 1, -1, -1):
        period = add_months(month, -back)
        result = session.execute(
            text(
                "INSERT INTO ledger_entries (operator_id, lease_id, household_id, kind, amount, settled, booked_on, "
                "due_on, period, period_start, period_end, rent, charges, benefit, created_at) "
                "SELECT operator_id, id, household_id, 'call', rent + charges, 0, :booked, "
                "CAST(:period AS date) + (payment_day - 1), :period, :period, "
                "(CAST(:period AS date) + INTERVAL '1 month' - INTERVAL '1 day')::date, rent, charges, "
                "least(benefit_monthly, rent + charges), now() AT TIME ZONE 'utc' "
                "FROM leases WHERE id >= :first AND starts_on <= :period"
            ),
            {"period": period, "booked": add_months(period, -1).replace(day=25), "first": first_lease},
        )
        created += result.rowcount  # type: ignore[attr-defined]
    return created


def pay(session: Session, period: date, count: int) -> None:
    """Pay ``count`` calls of ``period`` in full: the household's share, then the benefit from the CAF/MSA."""
    base = _next_id(session, _table(LedgerEntry))
    session.execute(text("DROP TABLE IF EXISTS bench_paid"))
    session.execute(
        text(
            "CREATE TEMP TABLE bench_paid AS SELECT row_number() OVER (ORDER BY e.id) AS n, e.id, e.operator_id, "
            "e.lease_id, e.household_id, e.amount, e.benefit, e.due_on, l.benefit_payer "
            "FROM ledger_entries e JOIN leases l ON l.id = e.lease_id "
            "WHERE e.kind = 'call' AND e.period = :period AND e.settled = 0 AND e.amount > e.benefit "
            "ORDER BY e.id LIMIT :count"
        ),
        {"period": period, "count": count},
    )
    payment = (
        "INSERT INTO ledger_entries (id, operator_id, lease_id, household_id, kind, amount, settled, booked_on, "
        "due_on, method, reference, benefit, created_at) SELECT :base + 2 * n + {offset}, operator_id, lease_id, "
        "household_id, 'payment', -({share}), {share}, due_on + {days}, due_on + {days}, {method}, {reference}, 0, "
        "now() AT TIME ZONE 'utc' FROM bench_paid WHERE {share} > 0"
    )
    session.execute(
        text(
            payment.format(
                offset=0, share="amount - benefit", days=-2,
                method="CASE WHEN n % 5 = 0 THEN 'cheque' ELSE 'transfer' END",
                reference="CASE WHEN n % 5 = 0 THEN lpad((4000000 + n)::text, 7, '0') END",
            )
        ),
        {"base": base},
    )  # fmt: skip
    session.execute(
        text(
            payment.format(offset=1, share="benefit", days=3, method="coalesce(benefit_payer, 'caf')", reference="NULL")
        ),
        {"base": base},
    )
    session.execute(
        text(
            "INSERT INTO ledger_allocations (debit_id, credit_id, amount, created_at) "
            "SELECT id, :base + 2 * n, amount - benefit, now() AT TIME ZONE 'utc' FROM bench_paid "
            "UNION ALL SELECT id, :base + 2 * n + 1, benefit, now() AT TIME ZONE 'utc' FROM bench_paid "
            "WHERE benefit > 0"
        ),
        {"base": base},
    )
    session.execute(text("UPDATE ledger_entries e SET settled = e.amount FROM bench_paid p WHERE e.id = p.id"))
    session.execute(
        text("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), (SELECT max(id) FROM ledger_entries))")
    )


def analyze(session: Session) -> None:
    """Fresh planner statistics, as autovacuum keeps them in production after bulk writes."""
    for table in ("landlords", "units", "capture_cases", "agreements", "stock_entries", "households", "leases",
                  "ledger_entries", "ledger_allocations", "ledger_documents"):  # fmt: skip
        session.execute(text(f"ANALYZE {table}"))
    session.commit()
