"""Say why an option is refused: décence for every option, the Loc'Avantages window and DPE for a convention."""

from __future__ import annotations

from datetime import date

from capture.rules import locavantages
from landlord_portal.rules.french import long_date, number
from landlord_portal.rules.incomes import Context
from landlord_portal.rules.levels import DPE_CLASSES
from landlord_portal.rules.parameters import Sourced


def indecency_reasons(ctx: Context) -> list[str]:
    """Reasons no option at all is possible, market letting included (décence, domain.md §6)."""
    inputs, params, use = ctx.inputs, ctx.params, ctx.use
    reasons = []
    minimum = use(params.min_surface_m2)
    if inputs.surface_habitable_m2 < minimum:
        reasons.append(
            f"Avec {number(inputs.surface_habitable_m2)} m² de surface habitable, sous le minimum de "
            f"{number(minimum)} m², le logement n'est pas décent : il ne peut pas être loué comme "
            "résidence principale (décret 2002-120)."
        )
    banned = unit_ban(ctx)
    if banned is not None and locavantages.is_banned(banned.value, inputs.on):
        use(banned)
        reasons.append(
            f"Un logement classé {inputs.dpe_class} n'est plus décent pour un bail nouveau ou renouvelé "
            f"depuis le {long_date(banned.value)} (calendrier de décence énergétique) : il ne peut pas "
            "être loué, même au prix du marché, avant des travaux de rénovation énergétique."
        )
    return reasons


def unit_ban(ctx: Context) -> Sourced[date] | None:
    calendar = ctx.params.dpe_ban_overseas if ctx.commune.overseas else ctx.params.dpe_ban
    return calendar.get(ctx.inputs.dpe_class)


def convention_reasons(ctx: Context) -> list[str]:
    """Reasons a Loc'Avantages convention is not possible at the date."""
    inputs, params, use = ctx.inputs, ctx.params, ctx.use
    reasons = []
    start, end = use(params.requests_start), use(params.requests_end)
    if not start <= inputs.on <= end:
        reasons.append(
            f"Les demandes de convention Loc'Avantages sont enregistrées du {long_date(start)} au "
            f"{long_date(end)} : pas de convention possible le {long_date(inputs.on)}."
        )
    minimum = use(params.dpe_min_class)
    if DPE_CLASSES.index(inputs.dpe_class) > DPE_CLASSES.index(minimum):
        reasons.append(
            f"Loc'Avantages demande un logement classé au moins {minimum} au DPE ; le vôtre est classé "
            f"{inputs.dpe_class}."
        )
    return reasons
