"""Importing an SIAO-style export of referrals: the pure reader, then the all-or-nothing import and its page."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from agency_backoffice.household_input import MemberInput, PlaceInput
from agency_backoffice.models import (
    Household,
    HouseholdMember,
    Need,
    PriorityFlag,
    ResourceKind,
    Sex,
    Situation,
    SupportIntensity,
)
from agency_backoffice.operations.household_import import import_households
from agency_backoffice.rules import household_import as hi
from agency_backoffice.rules.household_import import values
from passerelle.models import AuditEntry, Organisation, OrganisationKind, Role, User
from tests.conftest import login_as
from tests.factories import Factory

TODAY = date(2026, 11, 22)
HEADER = "reference_siao;date_orientation;situation;adultes;enfants;salaires;rsa;communes_souhaitees"


def read(text: str) -> hi.HouseholdFile:
    return hi.read_household_file(text.encode("utf-8"), "export.csv")


def check(text: str, *, registered: dict[str, int] | None = None) -> hi.HouseholdImportReport:
    return hi.check_households(
        read(text), today=TODAY, known_communes={"62041", "62065", "01053"}, registered=registered or {}
    )


def good(n: int) -> str:
    return f"SIAO-{n:04d};02/11/2026;rue;1980;2015F;1 200,00;;62041"


# --- the reader (pure) -------------------------------------------------------------------------------------


def test_example_file_reads_into_two_referrals() -> None:
    report = check(hi.EXAMPLE_CSV)
    assert report.rejected == [] and report.imported
    (line_a, first), (line_b, second) = report.households
    assert (line_a, line_b) == (2, 3)
    assert first.siao_reference == "SIAO-2026-0142"
    assert first.referred_on == date(2026, 11, 2)
    assert first.situation is Situation.EMERGENCY_SHELTER
    assert first.members == (
        MemberInput(adult=True, birth_year=1988),
        MemberInput(adult=False, birth_year=2016, sex=Sex.FEMALE),
        MemberInput(adult=False, birth_year=2019, sex=Sex.MALE),
    )
    # « 612,50 » and « 298,00 » in the file: French decimal commas, exact Decimals, no float.
    assert first.resources == ((ResourceKind.RSA, Decimal("612.50")), (ResourceKind.FAMILY_BENEFITS, Decimal("298")))
    assert first.priority_flags == {PriorityFlag.CHILDREN_IN_SHELTER}
    assert first.wished_communes == ("62041", "62065")
    assert (first.support_intensity, first.consent_on) == (SupportIntensity.MEDIUM, date(2026, 11, 2))
    assert second.referred_on == date(2026, 11, 5) and second.situation is Situation.STREET
    assert second.couple is True and len(second.members) == 2
    assert second.resources == ((ResourceKind.WAGES, Decimal("1180")),)  # « 1 180,00 »
    assert second.needs == {Need.STEP_FREE} and second.priority_flags == {PriorityFlag.DALO}


def test_header_names_are_forgiving_and_unknown_columns_are_listed() -> None:
    text = (
        "Référence SIAO;Date d'orientation;SITUATION;Adultes;Nom de naissance;Salaire\nR-1;01/10/2026;CHRS;1990;X;900\n"
    )
    file = read(text)
    assert set(file.columns) == {"reference_siao", "date_orientation", "situation", "adultes"}
    assert file.ignored == ("Nom de naissance", "Salaire")  # « Salaire » is not « salaires »: shown, not read
    report = hi.check_households(file, today=TODAY, known_communes=set(), registered={})
    assert report.ignored_columns == ("Nom de naissance", "Salaire")
    ((_, data),) = report.households
    assert data.resources == () and data.situation is Situation.CHRS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "est vide"),
        (b"reference_siao;situation\nR;rue\n", "date_orientation, adultes"),
        (b"reference_siao;date_orientation;situation;adultes;adultes\n", "apparaît deux fois"),
        ((HEADER + "\n").encode(), "aucune ligne de données"),
        ((HEADER + "\nR;01/11/2026;hébergé;1980;;;;").encode("latin-1"), "UTF-8"),
        ("\n".join([HEADER, *(good(n) for n in range(hi.MAX_LINES + 1))]).encode(), "plusieurs fichiers de 500 lignes"),
    ],
)
def test_unreadable_files_are_refused_whole(content: bytes, message: str) -> None:
    with pytest.raises(hi.HouseholdFileError, match=message):
        hi.read_household_file(content, "export.csv")


def test_bad_lines_are_reported_with_their_physical_line_numbers() -> None:
    lines = [
        HEADER,  # 1
        good(1),  # 2
        "SIAO-0002;31/02/2026;rue;1980;;;;62041",  # 3: no 31 February
        "SIAO-0003;02/11/2026;dehors;1980;;;;",  # 4: unknown situation
        "SIAO-0004;02/11/2026;rue;1980;2015;;;",  # 5: child without sex (check_household's message)
        "",  # 6: blank, skipped but counted
        "SIAO-0005;02/12/2026;rue;1980;;;;",  # 7: referred in the future
        "SIAO-0006;02/11/2026;rue;1980;;douze;;",  # 8: amount
        "SIAO-0007;02/11/2026;rue;1980;;;;99999",  # 9: unknown commune
        good(1),  # 10: same reference as line 2
        "SIAO-0008;02/11/2026;rue",  # 11: fields missing
        '"SIAO-0009";02/11/2026;rue;"1980;1982";2015X;;;',  # 12: sex letter
        "SIAO-0010;02/11/2026;rue;;;;;",  # 13: no adult
        good(11),  # 14: fine
    ]
    report = check("\n".join(lines) + "\n")
    assert not report.imported
    assert [line for line, _ in report.households] == [2, 14]
    messages = {rejection.line: rejection.message for rejection in report.rejected}
    assert sorted(messages) == [3, 4, 5, 7, 8, 9, 10, 11, 12, 13]
    assert "date_orientation : date invalide « 31/02/2026 »" in messages[3]
    assert "situation : valeur inconnue « dehors »" in messages[4]
    assert messages[5] == "Personne 2 : le sexe de l'enfant est nécessaire pour la norme d'occupation."
    assert messages[7] == "Date d'orientation : elle ne peut pas être dans le futur."
    assert "salaires : montant invalide « douze »" in messages[8]
    assert messages[9] == "Communes : code(s) INSEE inconnu(s) : 99999."
    assert messages[10] == "doublon de la ligne 2 (même référence SIAO « SIAO-0001 »)"
    assert messages[11] == "nombre de champs incorrect : 3 au lieu de 8"
    assert "enfants : personne illisible « 2015X »" in messages[12]
    assert messages[13] == "adultes : valeur manquante"
    assert "rien n'a été importé" in report.summary().lower()


def test_a_quoted_field_over_two_lines_keeps_the_numbers_physical() -> None:
    header = "reference_siao;date_orientation;situation;adultes;diagnostic"
    text = f'{header}\nA;01/11/2026;rue;1980;"Première ligne\nseconde ligne"\nB;01/11/2026;rue;1800;\n'
    report = check(text)
    assert [(r.line, r.message) for r in report.rejected] == [
        (4, "Personne 1 : année de naissance entre 1900 et 2026.")
    ]
    assert report.households[0][1].diagnostic_conclusion == "Première ligne\nseconde ligne"


def test_references_already_registered_are_skipped_not_rejected() -> None:
    report = check("\n".join([HEADER, good(1), good(2)]) + "\n", registered={"SIAO-0001": 41})
    assert report.imported and report.rejected == []
    assert [(r.line, r.message) for r in report.already_imported] == [(2, "déjà importé (dossier n° 41) : ignoré")]
    assert [data.siao_reference for _, data in report.households] == ["SIAO-0002"]


@pytest.mark.parametrize(
    ("text", "adult", "expected"),
    [
        ("1985 1988", True, [(1985, None, None), (1988, None, None)]),
        ("1985-03, 1988", True, [(1985, 3, None), (1988, None, None)]),
        ("2016F;2018M", False, [(2016, None, Sex.FEMALE), (2018, None, Sex.MALE)]),
        ("2016 f | 2018 G", False, [(2016, None, Sex.FEMALE), (2018, None, Sex.MALE)]),  # G: garçon
        ("2016-05F+2020-12M", False, [(2016, 5, Sex.FEMALE), (2020, 12, Sex.MALE)]),
    ],
)
def test_compact_composition(text: str, adult: bool, expected: list[tuple[int, int | None, Sex | None]]) -> None:
    members = values.parse_people(text, adult=adult)
    assert [(m.birth_year, m.birth_month, m.sex) for m in members] == expected
    assert all(m.adult is adult for m in members)


@pytest.mark.parametrize("text", ["85", "1985/03", "1985-13", "deux"])
def test_unreadable_people(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalide|illisible"):
        values.parse_people(text, adult=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 234,56", "1234.56"), ("1\u202f234,5 €", "1234.5"), ("612.50", "612.50"), ("0", "0")],
)
def test_amounts(text: str, expected: str) -> None:
    assert values.parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["-12", "12,345", "1.234,56", "abc"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(ValueError, match="montant invalide"):
        values.parse_amount(text)


def test_dates_words_codes_and_places() -> None:
    assert values.parse_date("2/11/2026") == values.parse_date("2026-11-02") == date(2026, 11, 2)
    for bad in ("2026/11/02", "02-11-2026", "02/11/26"):
        with pytest.raises(ValueError, match="JJ/MM/AAAA"):
            values.parse_date(bad)
    assert values.parse_choice(Situation, "Hébergé chez des tiers") is Situation.HOSTED
    assert values.parse_choice(Situation, "HÔTEL") is Situation.HOTEL
    assert values.parse_choice(Situation, "emergency_shelter") is Situation.EMERGENCY_SHELTER
    assert values.parse_choice(SupportIntensity, "Renforcé") is SupportIntensity.INTENSIVE
    assert values.parse_choices(Need, "RDC ou ascenseur, animal") == (Need.GROUND_FLOOR_OR_LIFT, Need.PETS)
    assert (values.parse_bool("Oui"), values.parse_bool("non"), values.parse_bool("X")) == (True, False, True)
    assert values.parse_codes("1053 62041,62041") == ("01053", "62041")  # leading 0 restored, repeats dropped
    assert values.parse_places("travail:62041:Hôpital | École:1053") == (
        PlaceInput(kind="work", label="Hôpital", commune="62041"),
        PlaceInput(kind="school", label="École", commune="01053"),
    )
    with pytest.raises(ValueError, match="lieu illisible"):
        values.parse_places("piscine:62041")


# --- the import (database) ---------------------------------------------------------------------------------


@pytest.fixture
def operator(make: Factory) -> Organisation:
    for insee, name in (("62041", "Arras"), ("62065", "Achicourt")):
        make.commune(insee, name)
    return make.organisation(kind=OrganisationKind.ASSOCIATION)


@pytest.fixture
def staff(make: Factory, operator: Organisation) -> User:
    return make.staff(operator)


def households_of(session: Session, operator: Organisation) -> list[Household]:
    return list(session.scalars(select(Household).where(Household.operator_id == operator.id).order_by(Household.id)))


def test_import_registers_each_household_with_its_people_and_resources(
    session: Session, operator: Organisation, staff: User
) -> None:
    report = import_households(session, operator, read(hi.EXAMPLE_CSV), by=staff, today=TODAY)
    assert (report.imported, report.created, report.rejected) == (True, 2, [])
    first, second = households_of(session, operator)
    assert first.siao_reference == "SIAO-2026-0142" and first.persons_count == 3
    assert [(m.adult, m.birth_year, m.sex) for m in first.members] == [
        (True, 1988, None),
        (False, 2016, Sex.FEMALE),
        (False, 2019, Sex.MALE),
    ]
    assert first.monthly_resources == Decimal("910.50")  # 612,50 + 298,00
    assert first.created_by_id == staff.id and second.couple
    registrations = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.register")).all()
    assert sorted(int(entry.object_id or 0) for entry in registrations) == [first.id, second.id]
    assert {entry.details["source"] for entry in registrations} == {"import"}
    (summary,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "household.import")).all()
    assert (summary.details["file"], summary.details["created"], summary.details["already_imported"]) == (
        "export.csv",
        2,
        0,
    )


def test_one_bad_line_imports_nothing(session: Session, operator: Organisation, staff: User) -> None:
    text = "\n".join([HEADER, good(1), good(2), "SIAO-0003;02/11/2026;rue;1980;;;;62999", good(4)]) + "\n"
    report = import_households(session, operator, read(text), by=staff, today=TODAY)
    assert not report.imported and report.created == 0
    assert [(r.line, r.message) for r in report.rejected] == [(4, "Communes : code(s) INSEE inconnu(s) : 62999.")]
    assert households_of(session, operator) == []


def test_importing_again_is_idempotent_and_per_operator(
    session: Session, make: Factory, operator: Organisation, staff: User
) -> None:
    first = "\n".join([HEADER, good(1), good(2)]) + "\n"
    assert import_households(session, operator, read(first), by=staff, today=TODAY).created == 2
    again = import_households(session, operator, read(first + good(3) + "\n"), by=staff, today=TODAY)
    assert again.imported and again.created == 1
    assert [r.line for r in again.already_imported] == [2, 3]
    assert [h.siao_reference for h in households_of(session, operator)] == ["SIAO-0001", "SIAO-0002", "SIAO-0003"]
    # Another operator receiving the same referrals gets its own files: references are unique per operator.
    other = make.organisation(kind=OrganisationKind.AIS)
    report = import_households(session, other, read(first), by=make.staff(other), today=TODAY)
    assert report.created == 2 and report.already_imported == []
    assert (
        session.scalar(select(func.count(HouseholdMember.id)).join(Household).where(Household.operator_id == other.id))
        == 4
    )


def test_import_page_with_csrf_rejections_and_example(
    client: FlaskClient, session: Session, operator: Organisation, staff: User, csrf_enabled: None
) -> None:
    login_as(client, staff)
    page = client.get("/agence/menages/import")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert token, "the upload form must carry a CSRF token"

    csrf_token = token.group(1)

    def upload(content: str, *, with_token: bool = True) -> TestResponse:
        data: dict[str, object] = {"file": (io.BytesIO(content.encode("utf-8-sig")), "export.csv")}
        if with_token:
            data["csrf_token"] = csrf_token
        return client.post("/agence/menages/import", data=data, content_type="multipart/form-data")

    assert upload(hi.EXAMPLE_CSV, with_token=False).status_code == 400
    bad = upload("\n".join([HEADER, good(1), "SIAO-0002;02/11/2026;rue;1980;2015;;;"]) + "\n")
    body = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "Rien n'a été importé&nbsp;: 1 ligne(s) rejetée(s) sur 2." in body
    assert '<th scope="row" class="num">3</th>' in body and "le sexe de l&#39;enfant est nécessaire" in body
    assert households_of(session, operator) == []

    done = upload(hi.EXAMPLE_CSV)
    assert done.status_code == 302 and done.headers["Location"].endswith("/agence/menages")
    assert len(households_of(session, operator)) == 2
    listing = client.get("/agence/menages?statut=all").get_data(as_text=True)
    assert "2 ligne(s) lue(s) : 2 ménage(s) enregistré(s), 0 déjà importé(s)" in listing

    example = client.get("/agence/menages/import/exemple.csv")
    assert example.status_code == 200 and example.mimetype == "text/csv"
    assert "attachment" in example.headers["Content-Disposition"]
    assert hi.read_household_file(example.data).references() == {"SIAO-2026-0142", "SIAO-2026-0157"}


def test_import_pages_are_for_staff_only(client: FlaskClient, make: Factory, staff: User) -> None:
    urls = [
        ("GET", "/agence/menages/import"),
        ("POST", "/agence/menages/import"),
        ("GET", "/agence/menages/import/exemple.csv"),
    ]
    answers = [client.open(url, method=method) for method, url in urls]
    assert all(a.status_code == 302 and a.headers["Location"].startswith("/login") for a in answers)
    for user in (make.user(Role.LANDLORD), make.metro_user(), make.user(Role.ADMIN)):
        login_as(client, user)
        assert [client.open(url, method=method).status_code for method, url in urls] == [403] * 3
    # Any operator's staff may import into their own operator; an empty POST shows the form's error.
    for user in (staff, make.staff(make.organisation(kind=OrganisationKind.AIS))):
        login_as(client, user)
        responses = [client.open(url, method=method, data={}) for method, url in urls]
        assert [r.status_code for r in responses] == [200] * 3
        assert "Choisissez le fichier CSV à importer." in responses[1].get_data(as_text=True)
