"""Guarantees on a real database (both engines): Visale caps and cover read from the parameters at the lease's
start, one Visale / fund / GLI per lease, the fund's attestation PDF, the owner's summary issued again, removal."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from flask import Flask
from sqlalchemy import func, select

from agency_backoffice.models import (
    Guarantee,
    GuaranteeKind,
    LeaseDocumentKind,
    LeaseEndReason,
    LeaseStatus,
    VisaleArea,
)
from agency_backoffice.operations import guarantees as ops
from agency_backoffice.operations import leases as lease_ops
from agency_backoffice.rules.guarantees import GuaranteeInput
from capture.models import IMLMode
from passerelle import storage
from passerelle.models import AuditEntry
from tests.test_agreements import pdf_text

K = GuaranteeKind
TODAY = date.today()
VISA = GuaranteeInput(visa_number="V202512345", visa_issued_on=date(2025, 12, 15))


@pytest.fixture(autouse=True)
def context(app: Flask, parameters: None) -> Iterator[None]:
    with app.test_request_context():
        yield


@pytest.fixture
def operator(make):  # type: ignore[no-untyped-def]
    operator = make.organisation()
    operator.email, operator.phone, operator.address = "garanties@exemple.fr", "04 78 00 00 00", "5 place Bellecour"
    return operator


@pytest.fixture
def staff(make, operator):  # type: ignore[no-untyped-def]
    return make.staff(operator, full_name="Lou Martin")


def documents(lease, kind):  # type: ignore[no-untyped-def]
    return [d for d in lease.documents if d.kind is kind]


def audits(session, action):  # type: ignore[no-untyped-def]
    return session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_the_visale_parameters_change_on_6_january_2026(session):
    before = ops.visale_caps(session, date(2026, 1, 5))
    after = ops.visale_caps(session, date(2026, 1, 6))
    assert dict(before.caps) == {
        VisaleArea.ILE_DE_FRANCE: D("1500"),
        VisaleArea.LARGE_AGGLOMERATION: D("1300"),
        VisaleArea.OTHER: D("1300"),
    }
    assert before.cover_years is None
    assert dict(after.caps) == {
        VisaleArea.ILE_DE_FRANCE: D("1940"),
        VisaleArea.LARGE_AGGLOMERATION: D("1575"),
        VisaleArea.OTHER: D("1365"),
    }
    assert after.cover_years == 3


def test_1600_in_ile_de_france_is_refused_for_a_lease_from_5_january_and_covered_3_years_from_the_6th(
    make, session, operator, staff
):
    paris = make.commune("75056", "Paris", region="11")
    common = dict(status="signed", commune=paris, rent=D("1450"), charges=D("150"))
    on_5th = make.lease(operator, by=staff, starts_on=date(2026, 1, 5), **common)
    with pytest.raises(ops.GuaranteeError) as error:
        ops.add_guarantee(session, on_5th, K.VISALE, VISA, by=staff, today=TODAY)
    message = re.sub(r"[\u00a0\u202f]", " ", error.value.errors[""])
    assert "1 600,00 €" in message and "1 500,00 €" in message and "Île-de-France" in message
    assert on_5th.guarantees == []

    on_6th = make.lease(operator, by=staff, starts_on=date(2026, 1, 6), **common)
    visale = ops.add_guarantee(session, on_6th, K.VISALE, VISA, by=staff, today=TODAY)
    assert visale.visale_area is VisaleArea.ILE_DE_FRANCE and visale.visale_cap == D("1940")
    assert (visale.starts_on, visale.expires_on) == (date(2026, 1, 6), date(2029, 1, 5))
    assert on_6th.guarantees == [visale]


def test_a_lease_from_before_2026_has_no_cover_limit_and_the_staff_choose_the_area(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="signed", starts_on=date(2025, 12, 1))
    visa = GuaranteeInput(visa_number="V1", visa_issued_on=date(2025, 11, 20), visale_area=VisaleArea.OTHER)
    visale = ops.add_guarantee(session, lease, K.VISALE, visa, by=staff, today=TODAY)
    assert (visale.visale_area, visale.visale_cap, visale.expires_on) == (VisaleArea.OTHER, D("1300"), None)


def test_corsica_takes_the_intermediate_cap_without_asking(make, session, operator, staff):
    ajaccio = make.commune("2A004", "Ajaccio", region="94")
    lease = make.lease(operator, by=staff, status="signed", commune=ajaccio, rent=D("1400"), charges=D("100"))
    visale = ops.add_guarantee(
        session,
        lease,
        K.VISALE,
        GuaranteeInput(visa_number="V2", visa_issued_on=lease.signed_on),
        by=staff,
        today=TODAY,
    )
    assert (visale.visale_area, visale.visale_cap) == (VisaleArea.LARGE_AGGLOMERATION, D("1575"))


def test_one_gli_per_lease_the_database_refuses_a_second_in_french(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="active")
    gli = GuaranteeInput(insurer="Assurances Exemple", policy_number="GLI-1")
    ops.add_guarantee(session, lease, K.GLI, gli, by=staff, today=TODAY)
    with pytest.raises(ops.GuaranteeError) as error:
        ops.add_guarantee(session, lease, K.GLI, gli, by=staff, today=TODAY)
    assert error.value.errors == {"": f"Ce bail a déjà une garantie « {K.GLI.label} » : une seule par bail."}
    count = session.scalar(select(func.count()).select_from(Guarantee).where(Guarantee.lease_id == lease.id))
    assert count == 1 and len(lease.guarantees) == 1
    # Personal guarantors are not limited (two parents may both stand surety) — with a student, next to the GLI.
    for name in ("Marie Diallo", "Moussa Diallo"):
        data = GuaranteeInput(guarantor_name=name, student=True)
        ops.add_guarantee(session, lease, K.PERSONAL_GUARANTOR, data, by=staff, today=TODAY)
    assert [g.kind for g in lease.guarantees] == [K.GLI, K.PERSONAL_GUARANTOR, K.PERSONAL_GUARANTOR]
    assert lease.guarantees[1].note.startswith("Locataire étudiant ou apprenti")


def test_an_ended_visale_still_blocks_a_second_one_and_says_so(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="active", starts_on=date(2026, 1, 6))
    visa = replace(VISA, visale_area=VisaleArea.OTHER)
    visale = ops.add_guarantee(session, lease, K.VISALE, visa, by=staff, today=TODAY)
    ops.remove_guarantee(session, visale, by=staff, today=TODAY)
    with pytest.raises(ops.GuaranteeError) as error:
        ops.add_guarantee(session, lease, K.VISALE, visa, by=staff, today=TODAY)
    assert "reste enregistrée dans l'historique du bail" in error.value.errors[""]


def test_gli_after_a_personal_guarantor_is_refused_until_the_guarantor_ends(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="active")
    guarantor = ops.add_guarantee(
        session, lease, K.PERSONAL_GUARANTOR, GuaranteeInput(guarantor_name="Marie Diallo"), by=staff, today=TODAY
    )
    with pytest.raises(ops.GuaranteeError) as error:
        ops.add_guarantee(session, lease, K.GLI, GuaranteeInput(insurer="Assurances Exemple"), by=staff, today=TODAY)
    assert "ne peut pas se cumuler" in error.value.errors["student"]
    ops.remove_guarantee(session, guarantor, by=staff, today=TODAY)
    gli = ops.add_guarantee(session, lease, K.GLI, GuaranteeInput(insurer="Assurances Exemple"), by=staff, today=TODAY)
    assert gli.note is None


def test_the_fund_gets_its_attestation_pdf_with_the_amounts_and_the_owner_a_new_summary(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="active", rent=D("420"), charges=D("60"))
    summaries = len(documents(lease, LeaseDocumentKind.GUARANTEE_SUMMARY))
    data = GuaranteeInput(covered_months=6, amount=D("3000"), starts_on=lease.starts_on, expires_on=date(2029, 6, 30))
    fund = ops.add_guarantee(session, lease, K.OPERATOR_FUND, data, by=staff, today=TODAY)

    (attestation,) = documents(lease, LeaseDocumentKind.GUARANTEE_ATTESTATION)
    assert attestation.guarantee_id == fund.id and attestation.issued_on == TODAY
    pdf = storage.read(attestation.sha256)
    assert hashlib.sha256(pdf).hexdigest() == attestation.sha256 and attestation.size == len(pdf)
    text = pdf_text(attestation.sha256)
    assert "Attestation de garantie" in text and f"Attestation n° {fund.id}" in text
    assert "Plafond de la garantie 3 000,00 €" in text and "6 mois d'impayés au plus" in text
    assert "Loyer mensuel hors charges 420,00 €" in text and "Charges mensuelles 60,00 €" in text
    assert "au 30 juin 2029 inclus" in text
    assert "Je soussigné(e), Lou Martin, agissant pour" in text
    assert "garanties@exemple.fr" in text and "04 78 00 00 00" in text

    after = documents(lease, LeaseDocumentKind.GUARANTEE_SUMMARY)
    assert len(after) == summaries + 1
    summary = pdf_text(after[-1].sha256)
    assert K.OPERATOR_FUND.label in summary and "3 000,00 €" in summary
    (entry,) = audits(session, "guarantee.add")
    assert entry.object_id == str(lease.id) and entry.details == {"guarantee": fund.id, "kind": "operator_fund"}


def test_a_draft_gets_no_summary_and_its_removed_guarantee_is_deleted_with_its_attestation(
    make, session, operator, staff
):
    lease = make.lease(operator, by=staff, status="draft", deposit=D("0"))
    data = GuaranteeInput(covered_months=3, amount=D("1500"), starts_on=lease.starts_on, expires_on=date(2028, 1, 1))
    fund = ops.add_guarantee(session, lease, K.OPERATOR_FUND, data, by=staff, today=TODAY)
    assert documents(lease, LeaseDocumentKind.GUARANTEE_SUMMARY) == []
    assert len(documents(lease, LeaseDocumentKind.GUARANTEE_ATTESTATION)) == 1
    ops.remove_guarantee(session, fund, by=staff, today=TODAY)
    assert session.get(Guarantee, fund.id) is None
    assert lease.guarantees == [] and documents(lease, LeaseDocumentKind.GUARANTEE_ATTESTATION) == []
    assert len(audits(session, "guarantee.delete")) == 1


def test_removing_a_guarantee_of_a_signed_lease_ends_it_today_and_reissues_the_summary(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="signed")
    fsl = GuaranteeInput(
        fsl_departement="",
        fsl_decision_reference="FSL-118",
        fsl_decision_on=TODAY - timedelta(days=40),
        amount=D("850"),
    )
    with pytest.raises(ops.GuaranteeError):
        ops.add_guarantee(session, lease, K.FSL, fsl, by=staff, today=TODAY)
    fsl = replace(fsl, fsl_departement=" 2a ")
    guarantee = ops.add_guarantee(session, lease, K.FSL, fsl, by=staff, today=TODAY)
    assert guarantee.fsl_departement == "2A" and guarantee.amount == D("850")
    summaries = len(documents(lease, LeaseDocumentKind.GUARANTEE_SUMMARY))

    ops.remove_guarantee(session, guarantee, by=staff, today=TODAY)
    assert session.get(Guarantee, guarantee.id) is guarantee and guarantee.expires_on == TODAY
    assert len(documents(lease, LeaseDocumentKind.GUARANTEE_SUMMARY)) == summaries + 1
    (entry,) = audits(session, "guarantee.end")
    assert entry.details["kind"] == "fsl" and entry.details["on"] == TODAY.isoformat()
    with pytest.raises(ops.GuaranteeError) as error:
        ops.remove_guarantee(session, guarantee, by=staff, today=TODAY)
    assert "déjà pris fin" in str(error.value)


def test_an_ended_lease_takes_no_guarantee_and_keeps_its_own(make, session, operator, staff):
    lease = make.lease(operator, by=staff, status="active", mode=IMLMode.SUBLEASE)
    guarantor = ops.add_guarantee(
        session, lease, K.PERSONAL_GUARANTOR, GuaranteeInput(guarantor_name="Marie Diallo"), by=staff, today=TODAY
    )
    lease_ops.end_lease(
        session,
        lease,
        ended_on=TODAY,
        reason=LeaseEndReason.REHOUSED,
        notice_on=None,
        note=None,
        by=staff,
        today=TODAY,
    )
    assert lease.status is LeaseStatus.ENDED
    with pytest.raises(ops.GuaranteeError, match="Le bail est terminé"):
        ops.add_guarantee(session, lease, K.GLI, GuaranteeInput(insurer="X"), by=staff, today=TODAY)
    with pytest.raises(ops.GuaranteeError, match="Le bail est terminé"):
        ops.remove_guarantee(session, guarantor, by=staff, today=TODAY)


def test_the_deposit_waiver_setting_refuses_the_guarantee_on_a_draft_with_a_deposit(make, session, operator, staff):
    ops.set_deposit_waivers(session, operator, [K.OPERATOR_FUND, K.VISALE], by=staff)
    assert operator.deposit_waived_with == ["visale", "operator_fund"]
    (entry,) = audits(session, "operator.deposit_waivers")
    assert entry.details == {"previous": [], "kinds": ["visale", "operator_fund"]}

    draft = make.lease(operator, by=staff, status="draft", deposit=D("420"))
    data = GuaranteeInput(covered_months=6, amount=D("3000"), starts_on=draft.starts_on, expires_on=date(2029, 1, 1))
    with pytest.raises(ops.GuaranteeError) as error:
        ops.add_guarantee(session, draft, K.OPERATOR_FUND, data, by=staff, today=TODAY)
    assert "ramenez d'abord le dépôt de garantie du bail à 0 €" in error.value.errors[""]
    assert draft.guarantees == []

    signed = make.lease(operator, by=staff, status="signed", deposit=D("420"))
    assert ops.add_guarantee(session, signed, K.OPERATOR_FUND, data, by=staff, today=TODAY).id
