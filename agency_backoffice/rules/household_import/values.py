"""Read the values of an SIAO-style export: dates, amounts, yes/no, codes or French words, people, places."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import TypeVar

from agency_backoffice.household_input import PLACE_KINDS, MemberInput, PlaceInput
from agency_backoffice.models.enums import Need, PriorityFlag, Sex, Situation, SupportIntensity
from capture.rules.lead_import import normalise

E = TypeVar("E", bound=Enum)

_LIST_SEPARATORS = re.compile(r"[\s;,|+]+")
_PERSON = re.compile(r"(\d{4})(?:-(\d{1,2}))?([FMG])?", re.IGNORECASE)
_INSEE = re.compile(r"\d{5}|2[AB]\d{3}")
_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?")
_FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_YES = {"oui", "o", "yes", "y", "1", "vrai", "x"}
_NO = {"non", "n", "no", "0", "faux"}

PLACE_LABEL_LIMIT = 120  # as on the form
_PLACE_WORDS = {"travail": "work", "ecole": "school", "soins": "care", "famille": "family", "autre": "other"}
_SEX_LETTERS = {"F": Sex.FEMALE, "M": Sex.MALE, "G": Sex.MALE}
_ALIASES: dict[type[Enum], dict[str, str]] = {
    Situation: {
        "rue": "street",
        "sans abri": "street",
        "urgence": "emergency_shelter",
        "hebergement d urgence": "emergency_shelter",
        "hotel": "hotel",
        "sortie d institution": "institution",
        "heberge": "hosted",
        "heberge chez des tiers": "hosted",
        "tiers": "hosted",
        "abri de fortune": "squat",
        "logement indigne": "unfit_housing",
        "suroccupation": "unfit_housing",
        "autre": "other",
    },
    PriorityFlag: {
        "violences": "domestic_violence",
        "violences conjugales": "domestic_violence",
        "ase": "child_welfare_leaver",
        "sortie ase": "child_welfare_leaver",
        "detention": "prison_leaver",
        "sortie de detention": "prison_leaver",
        "hopital": "hospital_leaver",
        "hospitalisation": "hospital_leaver",
        "enfants": "children_in_shelter",
    },
    Need: {
        "plain pied": "step_free",
        "sans marche": "step_free",
        "rdc": "ground_floor_or_lift",
        "rez de chaussee": "ground_floor_or_lift",
        "ascenseur": "ground_floor_or_lift",
        "rdc ou ascenseur": "ground_floor_or_lift",
        "animal": "pets",
        "animaux": "pets",
    },
    SupportIntensity: {"aucun": "none", "non": "none", "leger": "light", "regulier": "medium", "renforce": "intensive"},
}


def parse_date(text: str) -> date:
    """``02/11/2026`` (French) or ``2026-11-02`` (ISO)."""
    value = text.strip()
    try:
        if match := _FRENCH_DATE.fullmatch(value):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"date invalide « {text} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)")


def parse_amount(text: str) -> Decimal:
    """A non-negative amount in euros: ``1 234,56``, ``1234.56``, ``612,5 €``."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", ".")
    # At most 10 digits before the point: the database keeps amounts as Numeric(12, 2).
    if not _AMOUNT.fullmatch(cleaned) or len(cleaned.split(".")[0].lstrip("0")) > 10:
        raise ValueError(f"montant invalide « {text} » (attendu un nombre d'euros positif, par exemple 1 234,56)")
    return Decimal(cleaned)


def parse_year(text: str) -> int:
    if not re.fullmatch(r"\d{4}", text.strip()):
        raise ValueError(f"année invalide « {text} » (attendu 4 chiffres)")
    return int(text)


def parse_bool(text: str) -> bool:
    word = normalise(text)
    if word in _YES or word in _NO:
        return word in _YES
    raise ValueError(f"valeur invalide « {text} » (attendu oui ou non)")


def check_text(name: str, text: str, *, limit: int) -> str:
    """A free text within the column's length; e-mail addresses must look like one."""
    value = " ".join(text.split()) if "\n" not in text else text.strip()
    if len(value) > limit:
        raise ValueError(f"texte trop long ({len(value)} caractères, {limit} au plus)")
    if name.endswith("_email") and not _EMAIL.fullmatch(value):
        raise ValueError(f"adresse e-mail invalide « {value} »")
    return value


def parse_choice(kind: type[E], text: str) -> E:
    """An enumeration member from its code, its French label or a usual French word (accents do not matter)."""
    key = normalise(text)
    for member in kind:
        if key in (normalise(str(member.value)), normalise(getattr(member, "label", ""))):
            return member
    if (code := _ALIASES.get(kind, {}).get(key)) is not None:
        return kind(code)
    words = sorted(_ALIASES.get(kind, {})) or [str(member.value) for member in kind]
    raise ValueError(f"valeur inconnue « {text} » (attendu par exemple : {', '.join(words)})")


def parse_choices(kind: type[E], text: str) -> tuple[E, ...]:
    """Several members separated by commas, semicolons or « | »."""
    return tuple(parse_choice(kind, item) for item in re.split(r"[;,|]", text) if item.strip())


def parse_people(text: str, *, adult: bool) -> tuple[MemberInput, ...]:
    """``1985 1988-03`` for adults, ``2016F 2018-05M`` for children (sex letter required)."""
    joined = re.sub(r"(\d)\s+([FMG])\b", r"\1\2", text.strip(), flags=re.IGNORECASE)
    people = []
    for token in _LIST_SEPARATORS.split(joined):
        match = _PERSON.fullmatch(token)
        if token and match is None:
            example = "1985 ou 1985-03" if adult else "2016F ou 2016-05M"
            raise ValueError(f"personne illisible « {token} » (attendu par exemple {example})")
        if match:
            year, month, letter = match.groups()
            sex = _SEX_LETTERS[letter.upper()] if letter else None
            people.append(MemberInput(adult=adult, birth_year=int(year), birth_month=_month(month), sex=sex))
    return tuple(people)


def _month(text: str | None) -> int | None:
    if text is None:
        return None
    if not 1 <= int(text) <= 12:
        raise ValueError(f"mois de naissance invalide « {text} » (entre 1 et 12)")
    return int(text)


def parse_codes(text: str) -> tuple[str, ...]:
    codes, bad = _codes(text)
    if bad:
        raise ValueError(f"code(s) INSEE invalide(s) : {', '.join(bad)} (attendu 5 caractères, par exemple 62041)")
    return tuple(codes)


def _codes(text: str) -> tuple[list[str], list[str]]:
    codes, bad = [], []
    for token in _LIST_SEPARATORS.split(text.strip().upper()):
        code = "0" + token if re.fullmatch(r"\d{4}", token) else token  # a 0 lost by a spreadsheet
        if _INSEE.fullmatch(code):
            codes.append(code)
        elif token:
            bad.append(token)
    return list(dict.fromkeys(codes)), bad


def commune_codes(text: str) -> list[str]:
    """The well-formed INSEE codes of a list, the others left out."""
    return _codes(text)[0]


def place_communes(text: str) -> list[str]:
    """The communes of the readable places of a list."""
    return [place.commune for place in _places(text)[0]]


def parse_places(text: str) -> tuple[PlaceInput, ...]:
    places, bad = _places(text)
    if bad:
        raise ValueError(
            f"lieu illisible « {bad[0]} » (attendu type:code INSEE:libellé, type parmi "
            f"{', '.join(_PLACE_WORDS)}, par exemple travail:62041:Hôpital)"
        )
    return tuple(places)


def _places(text: str) -> tuple[list[PlaceInput], list[str]]:
    places, bad = [], []
    for item in (part.strip() for part in re.split(r"[|;]", text)):
        if not item:
            continue
        parts = [part.strip() for part in item.split(":", 2)]
        kind = _PLACE_WORDS.get(normalise(parts[0]), normalise(parts[0]))
        code = parts[1].upper() if len(parts) > 1 else ""
        code = "0" + code if re.fullmatch(r"\d{4}", code) else code
        label = parts[2] if len(parts) > 2 else ""
        if kind not in PLACE_KINDS or not _INSEE.fullmatch(code) or len(label) > PLACE_LABEL_LIMIT:
            bad.append(item)
        else:
            places.append(PlaceInput(kind=kind, label=label or PLACE_KINDS[kind], commune=code))
    return places, bad
