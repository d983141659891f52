"""Owner statements and payout batches on a real database (both engines): what a mandate owner is paid from the
money collected, the rent the association owes under sous-location whatever happens, the monthly job run twice,
and the SEPA batch that pays each statement once."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy import func, select

from agency_backoffice.models import BenefitPayer, OwnerStatement, PaymentMethod, PayoutBatch
from agency_backoffice.operations import ledger, payouts
from agency_backoffice.operations import statements as ops
from agency_backoffice.rules import statements as rules
from agency_backoffice.statement_jobs import owner_statements
from capture.models import IMLMode
from passerelle import storage
from passerelle.models import OrganisationKind

OWNER_IBAN = "FR1420041010050500013M02606"  # La Banque Postale's published test IBAN (valid keys)
OPERATOR_IBAN = "FR7630004000031234567890143"
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.fixture
def agency(make):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.AIS)
    operator.iban, operator.bic = OPERATOR_IBAN, "BNPAFRPPXXX"
    operator.management_fee_rate = D("0.08")  # the agreement's own 7 % wins over the operator's default
    return operator


@pytest.fixture
def association(make):  # type: ignore[no-untyped-def]
    operator = make.organisation(kind=OrganisationKind.ASSOCIATION, name="Habitat solidaire Rhône")
    operator.iban, operator.bic = OPERATOR_IBAN, "BNPAFRPPXXX"
    return operator


def mandate_lease(make, operator):  # type: ignore[no-untyped-def]
    staff = make.staff(operator)
    lease = make.lease(
        operator, by=staff, starts_on=date(2026, 9, 1), mode=IMLMode.MANDATE, rent=D("600.50"), charges=D("50.00")
    )
    lease.benefit_monthly, lease.benefit_payer = D("200.00"), BenefitPayer.CAF
    lease.landlord.iban = OWNER_IBAN
    return lease, staff


def pay(session, lease, amount: str, method: PaymentMethod, on: date, staff):  # type: ignore[no-untyped-def]
    return ledger.record_payment(session, lease, amount=D(amount), method=method, received_on=on, by=staff)


def statements_of(session, landlord_id: int) -> list[OwnerStatement]:  # type: ignore[no-untyped-def]
    return list(
        session.scalars(
            select(OwnerStatement).where(OwnerStatement.landlord_id == landlord_id).order_by(OwnerStatement.period)
        )
    )


def test_mandate_statement_collected_fees_and_payout(session, make, agency) -> None:  # type: ignore[no-untyped-def]
    lease, staff = mandate_lease(make, agency)
    assert lease.agreement.fee_rate == D("0.07")
    for period in (date(2026, 9, 1), OCTOBER):
        ledger.issue_rent_call(session, lease, period, on=period)
    pay(session, lease, "650.50", PaymentMethod.TRANSFER, date(2026, 9, 5), staff)  # September, in September
    pay(session, lease, "200.00", PaymentMethod.CAF, date(2026, 10, 6), staff)  # tiers payant, October
    pay(session, lease, "450.50", PaymentMethod.TRANSFER, date(2026, 10, 10), staff)  # the household's share

    run = ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[agency.id])
    assert run.period == OCTOBER and run.waiting == []
    (statement,) = run.created
    # Collected in October: 200.00 (CAF) + 450.50 (household) = 650.50 — September's payment is not counted again.
    # Fees on the rent, charges excluded (the mandate's art. 5): 7 % × 600.50 = 42.035 → 42.03 (truncated: never
    # rounded up against the owner). Paid out: 650.50 − 42.03 = 608.47.
    assert (statement.collected, statement.benefit, statement.fees, statement.deductions, statement.payout) == (
        D("650.50"),
        D("200.00"),
        D("42.03"),
        D("0.00"),
        D("608.47"),
    )
    (line,) = statement.lines
    # Rent first: the CAF's 200.00 then 400.50 of the household's 450.50 are rent, the last 50.00 the charges.
    assert (line["rent"], line["charges"], line["housing_benefit"], line["benefit_payer"]) == (
        "600.50",
        "50.00",
        "200.00",
        "CAF",
    )
    assert (line["fee_rate"], line["guaranteed"], line["lease_id"]) == ("0.0700", False, lease.id)
    assert statement.period == OCTOBER and statement.issued_on == NOVEMBER and statement.batch_id is None
    pdf = storage.read(statement.sha256)
    assert pdf.startswith(b"%PDF-") and statement.size == len(pdf)
    # Same statement, same bytes.
    draft = rules.StatementDraft(agency.id, lease.landlord_id, OCTOBER, (rules.UnitLine.from_json(line),), D("0"))
    assert ops.render_statement(draft, agency, lease.landlord, issued_on=NOVEMBER)[1] == pdf


def test_a_payment_recorded_after_its_month_was_stated_goes_on_the_next_statement(session, make, agency) -> None:  # type: ignore[no-untyped-def]
    lease, staff = mandate_lease(make, agency)
    for period in (OCTOBER, NOVEMBER):
        ledger.issue_rent_call(session, lease, period, on=period)
    pay(session, lease, "200.00", PaymentMethod.CAF, date(2026, 10, 6), staff)
    (october,) = ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[agency.id]).created
    assert october.collected == D("200.00") and october.fees == D("14.00")  # 7 % × 200.00
    # Recorded on 3 November, received on 30 October: October's statement is out, November's takes it.
    pay(session, lease, "450.50", PaymentMethod.CHEQUE, date(2026, 10, 30), staff)
    (november,) = ops.issue_owner_statements(session, on=date(2026, 12, 1), operator_ids=[agency.id]).created
    # 450.50 collected: the call's rent is 600.50 and 200.00 of it was paid, so 400.50 of rent then 50.00 of charges.
    # Fees 7 % × 400.50 = 28.035 → 28.03; paid out 450.50 − 28.03 = 422.47.
    assert (november.collected, november.benefit, november.fees, november.payout) == (
        D("450.50"),
        D("0.00"),
        D("28.03"),
        D("422.47"),
    )
    assert (november.lines[0]["rent"], november.lines[0]["charges"]) == ("400.50", "50.00")
    (line,) = november.lines
    assert line["notes"] == ["Dont 450,50\u00a0€ au titre du loyer d’octobre 2026 (arriéré encaissé ce mois-ci)."]
    assert set(line["allocations"]).isdisjoint(october.lines[0]["allocations"])


def test_sous_location_rent_is_owed_empty_unpaid_or_paid(session, make, association) -> None:  # type: ignore[no-untyped-def]
    staff = make.staff(association)
    terms = dict(mode=IMLMode.SUBLEASE, rent=D("480.00"), charges=D("40.00"))
    empty = make.available_unit(association, available_on=date(2026, 9, 1), **terms)  # no household at all
    unpaid = make.lease(association, by=staff, starts_on=date(2026, 9, 1), **terms)
    paid = make.lease(association, by=staff, starts_on=date(2026, 9, 1), **terms)
    landlords = [empty.unit.landlord, unpaid.landlord, paid.landlord]
    for landlord in landlords:
        landlord.iban = OWNER_IBAN
    for lease in (unpaid, paid):
        ledger.issue_rent_call(session, lease, OCTOBER, on=OCTOBER)
    pay(session, paid, "520.00", PaymentMethod.TRANSFER, date(2026, 10, 5), staff)

    run = ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[association.id])
    by_landlord = {statement.landlord_id: statement for statement in run.created}
    for landlord in landlords:
        statement = by_landlord[landlord.id]
        # The main lease's rent and charges, 480.00 + 40.00 = 520.00, whatever the household did; no fees.
        assert (statement.collected, statement.fees, statement.payout) == (D("520.00"), D("0.00"), D("520.00"))
        (line,) = statement.lines
        assert line["guaranteed"] is True and line["fee_rate"] is None and line["tenants"] == []
    assert by_landlord[landlords[0].id].lines[0]["notes"] == [
        "Logement inoccupé ce mois-ci : le loyer vous est dû comme chaque mois."
    ]
    assert by_landlord[landlords[1].id].lines[0]["notes"] == []


def test_sous_location_first_month_prorated_and_nothing_after_the_end(session, make, association) -> None:  # type: ignore[no-untyped-def]
    entry = make.available_unit(
        association, mode=IMLMode.BAIL_GLISSANT, rent=D("480.00"), charges=D("40.00"), available_on=date(2026, 10, 12)
    )
    entry.unit.landlord.iban = OWNER_IBAN
    (october,) = ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[association.id]).created
    # 12 to 31 October: 20 days of 31. Rent 480 × 20 / 31 = 309.677… → 309.67; charges 40 × 20 / 31 = 25.806… → 25.80.
    assert (october.collected, october.payout) == (D("335.47"), D("335.47"))
    assert (october.lines[0]["rent"], october.lines[0]["charges"]) == ("309.67", "25.80")
    assert october.lines[0]["notes"][0] == "Loyer dû du 12 au 31 octobre 2026 (20 jours sur 31)."

    entry.agreement.ended_on = date(2026, 12, 10)
    ops.issue_owner_statements(session, on=date(2026, 12, 1), operator_ids=[association.id])
    (december,) = ops.issue_owner_statements(session, on=date(2027, 1, 1), operator_ids=[association.id]).created
    # 1 to 10 December: 480 × 10 / 31 = 154.838… → 154.83; 40 × 10 / 31 = 12.903… → 12.90; 167.73 in all.
    assert december.payout == D("167.73")
    assert ops.issue_owner_statements(session, on=date(2027, 2, 1), operator_ids=[association.id]).created == []
    periods = [statement.period for statement in statements_of(session, entry.unit.landlord_id)]
    assert periods == [OCTOBER, NOVEMBER, date(2026, 12, 1)]
    assert statements_of(session, entry.unit.landlord_id)[1].payout == D("520.00")  # November: a whole month


def test_the_job_is_idempotent_and_waits_for_an_iban(session, make, association) -> None:  # type: ignore[no-untyped-def]
    entry = make.available_unit(association, rent=D("480.00"), charges=D("40.00"), available_on=date(2026, 9, 1))
    landlord = entry.unit.landlord
    first = owner_statements(session, NOVEMBER)
    assert first.summary == {"period": "2026-10", "statements": 0, "payout": "0", "waiting_for_iban": 1}
    landlord.iban = OWNER_IBAN
    second = owner_statements(session, date(2026, 11, 2))
    assert second.summary == {"period": "2026-10", "statements": 1, "payout": "520.00", "waiting_for_iban": 0}
    third = owner_statements(session, date(2026, 11, 3))
    assert third.summary["statements"] == 0
    count = session.scalar(select(func.count(OwnerStatement.id)).where(OwnerStatement.landlord_id == landlord.id))
    assert count == 1


def test_payout_batch_pays_each_statement_once(session, make, association) -> None:  # type: ignore[no-untyped-def]
    staff = make.staff(association)
    good = make.available_unit(association, rent=D("480.00"), charges=D("40.00"), available_on=date(2026, 9, 1))
    other = make.available_unit(association, rent=D("612.34"), charges=D("0.00"), available_on=date(2026, 9, 1))
    wrong = make.available_unit(association, rent=D("300.00"), charges=D("0.00"), available_on=date(2026, 9, 1))
    missing = make.available_unit(association, rent=D("250.00"), charges=D("0.00"), available_on=date(2026, 9, 1))
    good.unit.landlord.iban = OWNER_IBAN
    other.unit.landlord.iban, other.unit.landlord.account_holder = OWNER_IBAN, "Indivision Dupré"
    wrong.unit.landlord.iban = "FR1420041010050500013M02607"  # the last digit changed: the RIB key is wrong
    ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[association.id])

    plan = payouts.payout_plan(session, association, OCTOBER, on=date(2026, 11, 22))
    assert {line.statement.landlord_id: line.problem is None for line in plan.lines} == {
        good.unit.landlord_id: True,
        other.unit.landlord_id: True,
        wrong.unit.landlord_id: False,
    }
    (refused,) = [line for line in plan.lines if line.problem]
    assert refused.problem.startswith("IBAN invalide pour")
    ((landlord, draft),) = plan.waiting
    assert landlord.id == missing.unit.landlord_id and draft.payout == D("250.00")

    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    batch = payouts.create_payout_batch(
        session, association, OCTOBER, execution_date=date(2026, 11, 25), by=staff, now=now
    )
    assert batch.message_id == f"PASS-{association.id}-202610-1"
    # 520.00 (480.00 + 40.00) + 612.34 = 1132.34; the wrong IBAN is left out.
    assert (batch.count, batch.total) == (2, D("1132.34"))
    document = ET.fromstring(storage.read(batch.sha256))  # noqa: S314 (our own file)
    header = document.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    assert header is not None
    assert (header.findtext("p:NbOfTxs", namespaces=NS), header.findtext("p:CtrlSum", namespaces=NS)) == (
        "2",
        "1132.34",
    )
    assert header.findtext("p:CreDtTm", namespaces=NS) == "2026-11-22T10:30:00"  # Paris time
    payments = document.findall(".//p:CdtTrfTxInf", NS)
    paid = {
        p.findtext("p:PmtId/p:EndToEndId", namespaces=NS): (
            p.findtext("p:Cdtr/p:Nm", namespaces=NS),
            p.findtext("p:Amt/p:InstdAmt", namespaces=NS),
            p.findtext("p:RmtInf/p:Ustrd", namespaces=NS),
        )
        for p in payments
    }
    statements = {s.landlord_id: s for s in session.scalars(select(OwnerStatement))}
    good_statement, other_statement = statements[good.unit.landlord_id], statements[other.unit.landlord_id]
    remittance = "Releve de gerance octobre 2026 - Habitat solidaire Rhone"  # transliterated for SEPA
    assert paid == {
        f"PASS-{good_statement.id}": (good.unit.landlord.name, "520.00", remittance),
        f"PASS-{other_statement.id}": ("Indivision Dupre", "612.34", remittance),
    }
    assert good_statement.batch_id == other_statement.batch_id == batch.id
    assert statements[wrong.unit.landlord_id].batch_id is None

    with pytest.raises(payouts.PayoutError, match="Aucun relevé d’octobre 2026 à payer"):
        payouts.create_payout_batch(session, association, OCTOBER, execution_date=date(2026, 11, 25), by=staff, now=now)
    # Once the IBAN is corrected, a second batch pays only that statement.
    wrong.unit.landlord.iban = OWNER_IBAN
    second = payouts.create_payout_batch(
        session, association, OCTOBER, execution_date=date(2026, 11, 25), by=staff, now=now
    )
    assert (second.message_id, second.count, second.total) == (f"PASS-{association.id}-202610-2", 1, D("300.00"))
    assert session.scalar(select(func.count(PayoutBatch.id)).where(PayoutBatch.operator_id == association.id)) == 2


def test_payout_batch_refusals(session, make, association) -> None:  # type: ignore[no-untyped-def]
    staff = make.staff(association)
    entry = make.available_unit(association, rent=D("480.00"), charges=D("40.00"), available_on=date(2026, 9, 1))
    entry.unit.landlord.iban = OWNER_IBAN
    ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[association.id])
    now = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    with pytest.raises(payouts.PayoutError, match="ne peut pas être passée"):
        payouts.create_payout_batch(session, association, OCTOBER, execution_date=date(2026, 11, 21), by=staff, now=now)
    association.iban = None
    with pytest.raises(payouts.PayoutError, match="IBAN et BIC"):
        payouts.create_payout_batch(session, association, OCTOBER, execution_date=date(2026, 11, 25), by=staff, now=now)
    assert session.scalar(select(func.count(PayoutBatch.id))) == 0


def test_a_negative_balance_is_carried_forward_never_paid_negative(session, make, association) -> None:  # type: ignore[no-untyped-def]
    entry = make.available_unit(association, rent=D("480.00"), charges=D("40.00"), available_on=date(2026, 9, 1))
    landlord = entry.unit.landlord
    landlord.iban = OWNER_IBAN
    # September's statement (issued by hand here) had 1,100.00 of deductions (works paid for the owner):
    # 520.00 − 1,100.00 = −580.00, nothing paid, −580.00 carried forward.
    session.add(
        OwnerStatement(
            operator_id=association.id,
            landlord_id=landlord.id,
            period=date(2026, 9, 1),
            collected=D("520.00"),
            benefit=D("0"),
            fees=D("0"),
            deductions=D("1100.00"),
            payout=D("0"),
            lines=[{"guaranteed": True, "agreement_id": entry.agreement_id, "month": "2026-09-01"}],
            issued_on=date(2026, 10, 1),
            sha256="0" * 64,
            filename="releve.pdf",
            size=1,
        )
    )
    session.flush()
    (october,) = ops.issue_owner_statements(session, on=NOVEMBER, operator_ids=[association.id]).created
    # October: 520.00 − 580.00 = −60.00 → nothing paid, −60.00 carried (September is not owed twice).
    assert (october.collected, october.payout) == (D("520.00"), D("0.00"))
    assert [line["month"] for line in october.lines] == ["2026-10-01"]
    (november,) = ops.issue_owner_statements(session, on=date(2026, 12, 1), operator_ids=[association.id]).created
    # November: 520.00 − 60.00 = 460.00 paid.
    assert november.payout == D("460.00")


def test_fees_truncate_and_guaranteed_months_prorate() -> None:
    # 7 % × 600.50 = 42.035 → 42.03; 8.5 % × 99.99 = 8.49915 → 8.49; no rate, no fees.
    assert rules.management_fees(D("600.50"), D("0.07")) == D("42.03")
    assert rules.management_fees(D("99.99"), D("0.085")) == D("8.49")
    assert rules.management_fees(D("650.50"), None) == D("0")
    # February 2027 (28 days), agreement from the 15th: 14 days; 700 × 14 / 28 = 350.00, 45 × 14 / 28 = 22.50.
    month = rules.guaranteed_month(D("700.00"), D("45.00"), date(2027, 2, 15), None, date(2027, 2, 1))
    assert month is not None and (month.rent, month.charges, month.whole) == (D("350.00"), D("22.50"), False)
    assert rules.guaranteed_month(D("700.00"), D("45.00"), date(2027, 3, 1), None, date(2027, 2, 1)) is None
    # Rent first: 500 rent; allocations 300 then 250 → (300, 0) then (200, 50).
    assert rules.rent_first(D("500"), [(1, D("300")), (2, D("250"))]) == {
        1: (D("300"), D("0")),
        2: (D("200"), D("50")),
    }
