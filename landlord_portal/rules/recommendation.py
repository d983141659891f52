"""Recommend the best eligible option, in French, and warn the owner of what the figures leave out."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from capture.rules import locavantages
from landlord_portal.rules.eligibility import unit_ban
from landlord_portal.rules.french import euros, long_date, pct
from landlord_portal.rules.incomes import Context, Reader
from landlord_portal.rules.levels import CONVENTIONED, LEVEL_LABELS, MODE_LABELS, ZERO, Level, Mode
from landlord_portal.rules.parameters import SimulatorParameters
from landlord_portal.rules.results import Notice, Option


def dpe_notices(ctx: Context, notices: list[Notice]) -> None:
    banned = unit_ban(ctx)
    years = ctx.params.commitment_years.value
    end = locavantages.add_years(ctx.inputs.on, years)
    if banned is not None and locavantages.banned_during(banned.value, ctx.inputs.on, years):
        ctx.use(banned)
        notices.append(
            Notice(
                "dpe_future_ban",
                f"Logement classé {ctx.inputs.dpe_class} : il ne pourra plus être loué sous un bail "
                f"nouveau ou renouvelé à partir du {long_date(banned.value)} (calendrier de décence "
                f"énergétique), avant la fin de l'engagement de {years} ans ({long_date(end)}). Prévoyez "
                "des travaux de rénovation énergétique ; l'Anah et MaPrimeRénov' peuvent les financer.",
            )
        )


def tax_notices(ctx: Context, options: Sequence[Option], notices: list[Notice]) -> None:
    with_rate = [o for o in options if o.eligible and o.tax_reduction_rate]
    if not with_rate:
        return
    if ctx.assumptions.marginal_tax_rate == 0:
        notices.append(
            Notice(
                "non_taxable",
                "Foyer non imposable : la réduction d'impôt Loc'Avantages ne vous rapporterait rien "
                "(elle n'est pas remboursable) ; elle est comptée à 0 €.",
            )
        )
        return
    cap = ctx.params.niches_cap.value
    capped = [o.label for o in with_rate if o.tax_reduction_yearly == cap]
    if capped:
        notices.append(
            Notice(
                "niches_cap",
                f"Réduction d'impôt limitée au plafond global des avantages fiscaux ({euros(cap)} par "
                "an) pour : " + ", ".join(capped) + ".",
            )
        )
    notices.append(
        Notice(
            "tax_reduction_limits",
            "La réduction d'impôt ne peut pas dépasser l'impôt dû par votre foyer et entre, avec vos autres "
            f"avantages fiscaux, dans le plafond global de {euros(cap)} par an. Loc'Avantages impose de "
            "déclarer les loyers au régime réel ; les montants sont calculés ainsi, sans déficit foncier.",
        )
    )


def operator_notices(ctx: Context, options: Sequence[Option], notices: list[Notice]) -> None:
    for mode in (Mode.MANDATE, Mode.SUBLEASE):
        if not any(o.eligible and o.mode is mode for o in options):
            continue
        operator = ctx.operators.get(mode)
        if operator is None:
            text = f"Aucun opérateur de Passerelle ne couvre encore cette commune en {MODE_LABELS[mode]}"
            if mode is Mode.MANDATE:
                text += f" : frais de gestion supposés de {pct(ctx.params.default_fee_rate.value)}"
            notices.append(Notice("no_operator", text + "."))
        elif mode is Mode.MANDATE and operator.management_fee_rate is None:
            notices.append(
                Notice(
                    "operator_fee_unknown",
                    f"{operator.name} n'a pas encore indiqué ses frais de gestion : "
                    f"{pct(ctx.params.default_fee_rate.value)} supposés.",
                )
            )


def ceiling_notices(ctx: Context, options: Sequence[Option], notices: list[Notice]) -> None:
    missing = []
    for level in CONVENTIONED:
        ceiling = ctx.ceilings.get(level)
        if (ceiling is not None and ceiling.amount is not None) or not any(
            o.eligible and o.level is level for o in options
        ):
            continue
        text = f"{LEVEL_LABELS[level]}, grille {ctx.use(ctx.params.income_grid[level])}"
        if ceiling and ceiling.latest_known_amount is not None:
            known = euros(ceiling.latest_known_amount)
            text += f" (pour information, {ceiling.latest_known_year} : {known})"
        missing.append(text)
    if missing:
        notices.append(
            Notice(
                "income_ceiling_unknown",
                f"Plafond de ressources des locataires {ctx.inputs.on.year} (personne seule) inconnu pour : "
                + " ; ".join(missing)
                + ". L'opérateur le vérifiera avant de vous proposer un ménage.",
            )
        )


def recommend(
    options: Sequence[Option], params: SimulatorParameters, use: Reader, years: int
) -> tuple[str | None, str]:
    """The eligible option with the highest net over the commitment, and why, in French."""
    eligible = [o for o in options if o.eligible and o.net_income_over_commitment is not None]
    if not eligible:
        # The reasons every option shares (décence, convention window…) say it best; else all of them.
        common = [r for r in options[0].reasons if all(r in option.reasons for option in options)]
        reasons = common or list(dict.fromkeys(r for option in options for r in option.reasons))
        return None, "Aucune option n'est possible pour ce logement. " + " ".join(reasons)
    # Ties go to the mandate, then to the sublease: national policy favours them (domain.md §2).
    preference = {Mode.MANDATE: 0, Mode.SUBLEASE: 1, Mode.DIRECT: 2}
    best = max(eligible, key=lambda o: (o.net_income_over_commitment, -preference[o.mode]))
    best_total = _net(best)
    text = (
        f"« {best.label} » est l'option qui vous rapporte le plus sur les {years} ans de l'engagement : "
        f"{euros(best_total)} nets, primes comprises (soit "
        f"{euros(best.net_income_yearly or ZERO)} nets par an hors primes)."
    )
    market = next((o for o in eligible if o.level is Level.NONE), None)
    if market is not None and market is not best:
        text += f" C'est {euros(best_total - _net(market))} de plus que la location au prix du marché."
    if best.mode is Mode.SUBLEASE:
        text += (
            " L'association vous paie le loyer chaque mois, même si le logement est vide ou le loyer "
            "impayé, et vous le rend remis en état."
        )
    elif best.mode is Mode.MANDATE:
        text += " Vous restez le bailleur ; l'agence gère pour vous"
        text += " et les impayés sont couverts (Visale ou fonds de l'agence)." if best.guaranteed.unpaid_rent else "."
    elif best.level is Level.NONE:
        text += " Mais vous n'avez alors aucune garantie contre la vacance ni les impayés."
    if best.mode is not Mode.MANDATE:
        mandates = [o for o in eligible if o.mode is Mode.MANDATE]
        if mandates:
            mandate = max(mandates, key=_net)
            margin = use(params.mandate_margin)
            gap = best_total - _net(mandate)
            if best_total > 0 and gap <= best_total * margin:
                text += (
                    f" « {mandate.label} » rapporte presque autant ({euros(_net(mandate))}, "
                    f"{pct(gap / best_total, places=1)} de moins) : vous restez le bailleur et une agence "
                    "gère pour vous. C'est la formule que la politique du Logement d'abord cherche à "
                    "développer"
                )
                if params.mandate_share_target is not None:
                    text += (
                        f" (objectif national : {pct(use(params.mandate_share_target))} des nouvelles "
                        "places d'intermédiation locative en mandat de gestion)"
                    )
                text += "."
    return best.key, text


def _net(option: Option) -> Decimal:
    return option.net_income_over_commitment or ZERO
