"""What a household's composition implies: rooms (INSEE norm), CAF minimum surface, consumption units, and
the household category of the income ceilings (domain.md §7, data/SOURCES.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from agency_backoffice.models.enums import Sex
from agency_backoffice.rules.parameters import MatchingParameters


@dataclass(frozen=True)
class Member:
    """One person of the household; ``adult`` means counted as an adult of the household, not a dependant."""

    age: int
    adult: bool
    sex: Sex | None = None


@dataclass(frozen=True)
class RoomNeed:
    """Rooms the INSEE norm gives a household, with the parts that explain them."""

    couple: bool
    other_adults: int
    children: int
    children_rooms: int

    @property
    def total(self) -> int:
        # One living room, one room for the couple or the reference person, then the others.
        return 2 + self.other_adults + self.children_rooms

    def explanation(self) -> str:
        """French breakdown: « un séjour, une chambre pour le couple, une chambre par enfant »."""
        parts = ["un séjour", "une chambre pour le couple" if self.couple else _reference_room(self)]
        if self.other_adults == 1:
            parts.append("une chambre pour l'autre adulte")
        elif self.other_adults > 1:
            parts.append("une chambre par autre adulte")
        if self.children == 1:
            parts.append("une chambre pour l'enfant")
        elif self.children and self.children_rooms == self.children:
            parts.append("une chambre par enfant")
        elif self.children == 2:
            parts.append("une chambre pour les deux enfants")
        elif self.children:
            parts.append(f"{rooms_text(self.children_rooms, 'chambre')} pour les {self.children} enfants")
        return ", ".join(parts)


def _reference_room(need: RoomNeed) -> str:
    return "une chambre pour le parent" if need.children else "une chambre pour l'adulte"


def rooms_text(count: int, word: str = "pièce") -> str:
    """« 1 pièce », « 3 pièces »."""
    return f"{count} {word}{'s' if count > 1 else ''}"


def reference_indexes(members: Sequence[Member], couple: bool) -> list[int]:
    """The couple (two oldest adults) or the reference person (oldest adult, else oldest member)."""
    if not members:
        raise ValueError("Un ménage compte au moins une personne.")
    by_age = sorted(range(len(members)), key=lambda i: (not members[i].adult, -members[i].age, i))
    return by_age[: 2 if couple and len(members) >= 2 else 1]


def children_rooms(children: Sequence[Member], shared_room_age_limit: int) -> int:
    """Fewest rooms for children: two share if of the same sex or both under the age limit, else one each.

    Children of unknown sex share only when both are under the limit. Pairing is optimal: an odd older girl
    (boy) takes a young girl (boy) as roommate, then the young ones pair freely; matching the odd older child
    never costs more than one young pair and always saves one room.
    """
    older_girls = older_boys = young_girls = young_boys = young = 0
    for child in children:
        if child.age < shared_room_age_limit:
            young += 1
            young_girls += child.sex is Sex.FEMALE
            young_boys += child.sex is Sex.MALE
        else:
            older_girls += child.sex is Sex.FEMALE
            older_boys += child.sex is Sex.MALE
    pairs = older_girls // 2 + older_boys // 2
    for odd, young_same_sex in ((older_girls % 2, young_girls), (older_boys % 2, young_boys)):
        if odd and young_same_sex:
            pairs += 1
            young -= 1
    return len(children) - pairs - young // 2


def room_need(members: Sequence[Member], couple: bool, params: MatchingParameters) -> RoomNeed:
    """INSEE norm: a living room, one room per couple (or reference person), one per other person aged 19 or
    more, and for younger ones one room per two of the same sex or under 7, else one each (domain.md §7)."""
    return _room_need(members, reference_indexes(members, couple), params)


def _room_need(members: Sequence[Member], reference: list[int], params: MatchingParameters) -> RoomNeed:
    others = [m for i, m in enumerate(members) if i not in reference]
    children = [m for m in others if m.age < params.adult_age]
    return RoomNeed(
        couple=len(reference) == 2,
        other_adults=len(others) - len(children),
        children=len(children),
        children_rooms=children_rooms(children, params.shared_room_age_limit),
    )


def rooms_needed(members: Sequence[Member], couple: bool, params: MatchingParameters) -> int:
    """Rooms (living room included) the INSEE occupancy norm gives the household."""
    return room_need(members, couple, params).total


def consumption_units(members: Sequence[Member], params: MatchingParameters) -> Decimal:
    """Modified OECD scale: 1 for the first adult, 0.5 per other person aged 14 or more, 0.3 per younger child."""
    return _consumption_units(members, reference_indexes(members, couple=False)[0], params)


def _consumption_units(members: Sequence[Member], first: int, params: MatchingParameters) -> Decimal:
    total = params.uc_first_adult
    for index, member in enumerate(members):
        if index != first:
            total += params.uc_other_14_plus if member.age >= params.uc_age_threshold else params.uc_child_under_14
    return total


def caf_min_surface(persons: int, params: MatchingParameters) -> Decimal:
    """CAF minimum surface: 9 m² for one person, 16 m² for two, +9 m² per extra person, up to 70 m²."""
    if persons < 1:
        raise ValueError("Un ménage compte au moins une personne.")
    if persons == 1:
        return params.caf_one_person_m2
    return min(params.caf_two_persons_m2 + params.caf_extra_person_m2 * (persons - 2), params.caf_max_m2)


def ceiling_category(members: Sequence[Member], couple: bool, disability_card: bool, params: MatchingParameters) -> int:
    """Household category of the PLUS / PLAI / intermediate ceilings (7 and more: beyond the 6th).

    n persons give category n, and n + 1 when one person lives alone with dependants (members not counted as
    adults) or when a member holds a disability card — the arrêté lists these as alternatives (« une personne
    seule avec une personne à charge », « deux personnes dont au moins une en situation de handicap »), so the
    two never add up. A young couple without dependants (ages summing to 55 or less) is category 3.
    """
    return _ceiling_category(members, reference_indexes(members, couple), disability_card, params)


def _ceiling_category(
    members: Sequence[Member], reference: list[int], disability_card: bool, params: MatchingParameters
) -> int:
    persons = len(members)
    couple = len(reference) == 2
    adults = sum(1 for m in members if m.adult)
    single_with_dependants = not couple and adults == 1 and persons > 1
    category = persons + (1 if single_with_dependants or disability_card else 0)
    if couple and persons == 2 and sum(members[i].age for i in reference) <= params.young_couple_max_age_sum:
        category = max(category, 3)
    return category


def household_figures(
    members: Sequence[Member], couple: bool, disability_card: bool, params: MatchingParameters
) -> tuple[int, Decimal, int]:
    """Rooms needed, consumption units and ceiling category at once (for bulk encoding)."""
    reference = reference_indexes(members, couple)
    return (
        _room_need(members, reference, params).total,
        _consumption_units(members, reference[0], params),
        _ceiling_category(members, reference, disability_card, params),
    )
