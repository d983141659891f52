"""Landlord-portal part of the demo: the demo territory's local premiums. Idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from passerelle.demo import DemoContext
from passerelle.models import LocalPremium

DEMO_NOTICE = (
    "Montant de démonstration, pas une aide réelle de la Communauté urbaine d'Arras : à remplacer par les "
    "délibérations du territoire. "
)
# Plausible premiums for the demo territory, modelled on real schemes named in domain.md §3.
DEMO_PREMIUMS = (
    {
        "name": "Prime communautaire à la captation",
        "amount": Decimal("1500"),
        "period": "one_off",
        "levels": "loc2,loc3",
        "modes": "mandate,sublease,bail_glissant",
        "source": DEMO_NOTICE + "Modèle : Bordeaux Métropole, 1 500 € (social) à 2 000 € (très social) par "
        "logement conventionné confié en intermédiation locative (domain.md §3).",
    },
    {
        "name": "Prime de remise en location d'un logement vacant",
        "amount": Decimal("2000"),
        "period": "one_off",
        "levels": "loc1,loc2,loc3",
        "modes": "mandate,sublease,bail_glissant",
        "min_vacancy_months": 12,
        "source": DEMO_NOTICE + "Modèle : Strasbourg « Mieux relouer », 1 500 à 3 000 € pour un logement "
        "sortant d'une longue vacance (domain.md §3).",
    },
    {
        "name": "Bonus mandat de gestion",
        "amount": Decimal("500"),
        "period": "yearly",
        "max_years": 3,
        "levels": "loc2,loc3",
        "modes": "mandate",
        "source": DEMO_NOTICE + "Modèle : primes au mandat de gestion de Bordeaux « Louer clé en main » "
        "(montants non trouvés) et aide annuelle de Toulouse Alis (jusqu'à 5 000 € par an) (domain.md §3).",
    },
)
DEMO_PREMIUMS_FROM = date(2024, 1, 1)


def seed(context: DemoContext) -> None:
    seed_local_premiums(context)


def seed_local_premiums(context: DemoContext) -> None:
    """Create the demo territory's premiums that are missing (matched by territory and name)."""
    session = context.session
    existing = set(session.scalars(select(LocalPremium.name).where(LocalPremium.territory_id == context.territory.id)))
    for fields in DEMO_PREMIUMS:
        if fields["name"] not in existing:
            session.add(LocalPremium(territory_id=context.territory.id, valid_from=DEMO_PREMIUMS_FROM, **fields))
    session.flush()
