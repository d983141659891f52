"""Read an SIAO-style export (CSV) into household referrals: columns, compact composition, checks.

One line per household, a header on the first line, columns in any order; case, accents, spaces and hyphens
in the names do not matter (« Référence SIAO » reads as ``reference_siao``). Other columns are ignored and
nothing of them is kept (GDPR art. 5, minimisation); the report lists them so that a misspelt name shows.

Required columns::

    reference_siao        the SIAO's reference of the referral                      40 chars max
    date_orientation      date of the referral: JJ/MM/AAAA or AAAA-MM-JJ  (also read: date_d_orientation)
    situation             where the household lives now: code (``street``…) or French words: rue, hébergement
                          d'urgence, CHRS, hôtel, sortie d'institution, hébergé chez des tiers, squat,
                          logement indigne, autre
    adultes               birth years of the adults: ``1985 1988`` (separated by spaces, commas, « | », « + »
                          or, inside quotes, semicolons); ``1985-03`` adds the month; a letter F/M may follow

Optional columns (absent or empty: nothing recorded)::

    enfants               children: birth year and sex, ``2016F 2018M`` (F fille, M or G garçon); ``2016-05F``
                          adds the month. People are numbered adults first, then children (« Personne 3 »).
    couple                oui / non (two of the adults form a couple)
    salaires chomage retraites pension_alimentaire rsa aah prime_activite prestations_familiales
    autres_ressources     monthly amounts in euros, one column per type: ``1 234,56`` or ``1234.56`` (0: none)
    revenu_fiscal_reference, annee_revenu_fiscal   revenu fiscal de référence (N-2) and its year
    carte_invalidite      oui / non
    contact_nom, contact_telephone, contact_courriel   how to reach the reference person
    situation_depuis      date
    priorites             list: dalo, violences, ase, détention, hôpital, enfants (or codes / full labels)
    besoins               list: plain-pied, rdc ou ascenseur, animal (or codes / full labels)
    etage_bas             oui / non (prefers a low floor)
    communes_souhaitees   INSEE codes, ``62041 62065`` (a 4-digit code gets its leading 0 back)
    lieux_importants      ``type:INSEE[:libellé]`` items separated by « | »; type: travail, école, soins,
                          famille, autre
    date_besoin           date by which a home is needed
    diagnostic, type_accompagnement, intensite_accompagnement (aucun, léger, régulier, renforcé),
    referent_nom, referent_structure, referent_courriel, referent_telephone,
    date_consentement, perimetre_consentement   the support and the household's consent to it

The file is UTF-8 (with or without BOM); fields are separated by semicolons or commas (whichever the header
uses); it holds at most ``MAX_LINES`` (500) data lines: a bigger export is imported in parts. Line numbers are
physical lines of the file, the header being line 1. A line is rejected when a value cannot be read or when
``check_household`` finds a problem (its messages, unchanged); a repeated reference is rejected too; nothing
is imported while one line is rejected. A line whose reference the operator already holds is skipped (not
compared, not updated): importing the same export again changes nothing.

Pure: the caller loads the communes known and the references already registered and passes them in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from agency_backoffice.household_input import HouseholdInput, check_household
from agency_backoffice.models.enums import Need, PriorityFlag, ResourceKind, Situation, SupportIntensity
from agency_backoffice.rules.household_import.values import (
    check_text,
    commune_codes,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_choices,
    parse_codes,
    parse_date,
    parse_people,
    parse_places,
    parse_year,
    place_communes,
)
from capture.rules.lead_import import column_key
from passerelle.formatting import number
from passerelle.reference.importers import FatalImportError, Fields, ImportReport, InvalidLine, Rejection, csv_lines

REFERENCE = "reference_siao"
REFERRED_ON = "date_orientation"
SITUATION = "situation"
ADULTS = "adultes"
CHILDREN = "enfants"
REQUIRED_COLUMNS = (REFERENCE, REFERRED_ON, SITUATION, ADULTS)
ALIASES = {"date_d_orientation": REFERRED_ON}
RESOURCE_COLUMNS = {
    "salaires": ResourceKind.WAGES,
    "chomage": ResourceKind.UNEMPLOYMENT,
    "retraites": ResourceKind.PENSION,
    "pension_alimentaire": ResourceKind.ALIMONY,
    "rsa": ResourceKind.RSA,
    "aah": ResourceKind.AAH,
    "prime_activite": ResourceKind.ACTIVITY_BONUS,
    "prestations_familiales": ResourceKind.FAMILY_BENEFITS,
    "autres_ressources": ResourceKind.OTHER,
}
# Column → (HouseholdInput field, longest text the table holds).
TEXT_COLUMNS = {
    "contact_nom": ("contact_name", 200),
    "contact_telephone": ("contact_phone", 30),
    "contact_courriel": ("contact_email", 254),
    "diagnostic": ("diagnostic_conclusion", 2000),
    "type_accompagnement": ("support_kind", 120),
    "referent_nom": ("referent_name", 200),
    "referent_structure": ("referent_organisation", 200),
    "referent_courriel": ("referent_email", 254),
    "referent_telephone": ("referent_phone", 30),
    "perimetre_consentement": ("consent_scope", 500),
}
TEXT_LIMITS = dict(TEXT_COLUMNS.values())
DATE_COLUMNS = {"situation_depuis": "situation_since", "date_besoin": "needed_by", "date_consentement": "consent_on"}
BOOL_COLUMNS = {"couple": "couple", "carte_invalidite": "disability_card", "etage_bas": "prefers_low_floor"}
OTHER_COLUMNS = (
    CHILDREN,
    "revenu_fiscal_reference",
    "annee_revenu_fiscal",
    "priorites",
    "besoins",
    "communes_souhaitees",
    "lieux_importants",
    "intensite_accompagnement",
)
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *OTHER_COLUMNS, *RESOURCE_COLUMNS, *TEXT_COLUMNS, *DATE_COLUMNS, *BOOL_COLUMNS)

# One upload is handled in one request, each household registered on its own (members, resources, audit entry):
# about 8.5 s per 1,000 households on SQLite and 5 s on PostgreSQL (November 2026). A bigger export is split
# into several files; households already imported are then skipped.
MAX_LINES = 500

EXAMPLE_CSV = (
    "reference_siao;date_orientation;situation;adultes;enfants;couple;salaires;rsa;prestations_familiales;"
    "priorites;besoins;communes_souhaitees;contact_nom;contact_telephone;intensite_accompagnement;"
    "date_consentement\n"
    'SIAO-2026-0142;02/11/2026;hébergement d\'urgence;1988;"2016F, 2019M";non;;612,50;298,00;enfants;;'
    "62041 62065;Mme Exemple;06 00 00 00 00;régulier;02/11/2026\n"
    'SIAO-2026-0157;2026-11-05;rue;"1971, 1975";;oui;1 180,00;;;dalo;plain-pied;62041;M. Exemple;;aucun;\n'
)


class HouseholdFileError(FatalImportError):
    """The file cannot be read at all (encoding, header, size): one French message, nothing imported."""


@dataclass(frozen=True)
class HouseholdFile:
    """A readable export: the header as written, where each known column is, and the data lines."""

    name: str
    header: tuple[str, ...]
    columns: Mapping[str, str]  # known column → header as written in the file
    ignored: tuple[str, ...]  # columns of the file that are not read
    lines: tuple[tuple[int, tuple[str, ...]], ...]  # (physical line number, fields)

    def values(self, column: str) -> list[str]:
        """The raw values of one column, every line (empty when the column is absent)."""
        if column not in self.columns:
            return []
        index = self.header.index(self.columns[column])
        return [fields[index].strip() for _, fields in self.lines if index < len(fields)]

    def references(self) -> set[str]:
        return {value for value in self.values(REFERENCE) if value}

    def commune_codes(self) -> set[str]:
        """Every well-formed INSEE code the file names, to look up before checking."""
        codes = {code for text in self.values("communes_souhaitees") for code in commune_codes(text)}
        return codes | {code for text in self.values("lieux_importants") for code in place_communes(text)}


def read_household_file(data: bytes, name: str = "fichier") -> HouseholdFile:
    """Decode and split the file, check its header; raise HouseholdFileError with a French message otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HouseholdFileError(
            f"{name} n'est pas encodé en UTF-8 (octet invalide à la position {exc.start}) : "
            "dans votre tableur, enregistrez-le au format « CSV UTF-8 »."
        ) from exc
    if not text.strip():
        raise HouseholdFileError(f"{name} est vide.")
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    try:
        lines = csv_lines(text, delimiter, name)
    except FatalImportError as exc:
        raise HouseholdFileError(str(exc)) from exc
    header = tuple(column.strip() for column in lines[0][1])
    columns: dict[str, str] = {}
    ignored = []
    for written in header:
        key = ALIASES.get(column_key(written), column_key(written))
        if key not in KNOWN_COLUMNS:
            ignored.append(written)
        elif key in columns:
            raise HouseholdFileError(f"{name} : la colonne « {written} » apparaît deux fois dans l'en-tête.")
        else:
            columns[key] = written
    if missing := [column for column in REQUIRED_COLUMNS if column not in columns]:
        raise HouseholdFileError(
            f"{name} : colonne(s) obligatoire(s) manquante(s) : {', '.join(missing)} "
            f"(en-tête lu : {', '.join(header) or 'vide'})."
        )
    data_lines = tuple((line, tuple(fields)) for line, fields in lines[1:])
    if not data_lines:
        raise HouseholdFileError(f"{name} ne contient aucune ligne de données sous l'en-tête.")
    if len(data_lines) > MAX_LINES:
        raise HouseholdFileError(
            f"{name} compte {number(len(data_lines), 0)} lignes : importez-le en plusieurs fichiers de "
            f"{number(MAX_LINES, 0)} lignes au plus."
        )
    return HouseholdFile(name, header, columns, tuple(ignored), data_lines)


@dataclass
class HouseholdImportReport(ImportReport):
    """An import of referrals; ``imported`` is False as soon as one line is rejected (then nothing is written)."""

    already_imported: list[Rejection] = field(default_factory=list)
    households: list[tuple[int, HouseholdInput]] = field(default_factory=list)  # new ones, with their line
    ignored_columns: tuple[str, ...] = ()
    skip_option: bool = False

    def summary(self) -> str:
        if not self.imported:
            return (
                f"{number(len(self.rejected), 0)} ligne(s) rejetée(s) sur {number(self.lines, 0)} lue(s). Rien n'a "
                "été importé : corrigez les lignes rejetées puis importez à nouveau le fichier entier."
            )
        return (
            f"{number(self.lines, 0)} ligne(s) lue(s) : {number(self.created, 0)} ménage(s) enregistré(s), "
            f"{number(len(self.already_imported), 0)} déjà importé(s) (ignoré(s))."
        )


def check_households(
    file: HouseholdFile, *, today: date, known_communes: set[str], registered: Mapping[str, int]
) -> HouseholdImportReport:
    """Sort every line: rejected, already imported (``registered``: reference → household id) or new."""
    report = HouseholdImportReport("Import de ménages", ignored_columns=file.ignored)
    seen: dict[str, int] = {}
    report.lines = len(file.lines)
    for line, raw in file.lines:
        try:
            f = Fields.of(file.header, raw)
            reference = f.raw(file.columns[REFERENCE])
            if reference in registered:
                report.already_imported.append(
                    Rejection(line, f"déjà importé (dossier n° {registered[reference]}) : ignoré")
                )
                continue
            if reference and seen.setdefault(reference, line) != line:
                raise InvalidLine(f"doublon de la ligne {seen[reference]} (même référence SIAO « {reference} »)")
            data = parse_line(f, file.columns)
            problems = check_household(data, today=today, known_communes=known_communes)
            if problems:
                raise InvalidLine(" ; ".join(problems))
            report.households.append((line, data))
        except InvalidLine as exc:
            report.rejected.append(Rejection(line, str(exc)))
    report.imported = not report.rejected
    return report


def parse_line(f: Fields, columns: Mapping[str, str]) -> HouseholdInput:
    """Read one line's values into a referral; raise InvalidLine listing every unreadable value."""

    def column(key: str) -> str:
        return columns.get(key, key)

    def get(key: str, parse: Callable[[str], Any], default: Any = None) -> Any:
        value = f.raw(column(key))
        if not value:
            return default
        try:
            return parse(value)
        except ValueError as exc:
            f.fail(column(key), str(exc))
            return default

    values: dict[str, Any] = {
        "siao_reference": f.text(column(REFERENCE), max_length=40, what="référence") or "",
        "referred_on": get(REFERRED_ON, parse_date),
        "situation": get(SITUATION, lambda v: parse_choice(Situation, v)),
    }
    for key in (REFERRED_ON, SITUATION, ADULTS):
        if not f.raw(column(key)):
            f.fail(column(key), "valeur manquante")
    adults = get(ADULTS, lambda v: parse_people(v, adult=True), ())
    children = get(CHILDREN, lambda v: parse_people(v, adult=False), ())
    values["members"] = (*adults, *children)
    resources = []
    for key, kind in RESOURCE_COLUMNS.items():
        amount = get(key, parse_amount)
        if amount:
            resources.append((kind, amount))
    values["resources"] = tuple(resources)
    values["tax_income"] = get("revenu_fiscal_reference", parse_amount)
    values["tax_income_year"] = get("annee_revenu_fiscal", parse_year)
    for key, (name, limit) in TEXT_COLUMNS.items():
        values[name] = get(key, partial(check_text, name, limit=limit))
    for key, name in DATE_COLUMNS.items():
        values[name] = get(key, parse_date)
    for key, name in BOOL_COLUMNS.items():
        values[name] = get(key, parse_bool, False)
    values["priority_flags"] = frozenset(get("priorites", lambda v: parse_choices(PriorityFlag, v), ()))
    values["needs"] = frozenset(get("besoins", lambda v: parse_choices(Need, v), ()))
    values["wished_communes"] = get("communes_souhaitees", parse_codes, ())
    values["places"] = get("lieux_importants", parse_places, ())
    values["support_intensity"] = get(
        "intensite_accompagnement", lambda v: parse_choice(SupportIntensity, v), SupportIntensity.NONE
    )
    f.check()
    return HouseholdInput(**values)
