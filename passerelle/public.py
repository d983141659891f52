"""Public pages of the platform: the landing page, the terms, personal data and the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("public", __name__)

# The axe-core of package-lock.json, named in the statement (tests/test_accessibility_statement.py checks it).
AXE_CORE_VERSION = "4.14.1"

# The pages (and states of pages) checked with axe-core on a desktop and a phone, by space: the same list as
# tests/e2e/test_accessibility.py (tests/test_accessibility_statement.py checks that the counts agree).
CHECKED_PAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Pages publiques",
        (
            "Accueil",
            "Simulateur des avantages",
            "Simulateur des avantages, formulaire envoyé vide (messages d'erreur)",
            "Résultat d'une simulation",
            "Connexion",
            "Connexion, formulaire envoyé vide",
            "Création d'un compte propriétaire",
            "Création d'un compte, formulaire envoyé vide",
            "Confirmation de l'inscription",
            "Mot de passe oublié",
            "Choix d'un nouveau mot de passe (lien reçu par e-mail)",
            "Propriétaires : comment ça marche",
            "Les formules",
            "Les garanties",
            "Questions fréquentes",
            "L'engagement Loc'Avantages",
            "Être rappelé",
            "Calculateur de révision du loyer",
            "Conditions d'utilisation",
            "Données personnelles",
            "Déclaration d'accessibilité",
            "Page introuvable (erreur 404)",
        ),
    ),
    (
        "Espace propriétaire",
        (
            "Mon espace (logements, contrats, documents, relevés)",
            "Un logement",
            "Signaler une difficulté",
            "Un signalement et sa réponse",
            "Un contrat à lire et signer",
            "Déclarer un logement",
            "Déclaration : adresse",
            "Déclaration : le logement",
            "Déclaration : disponibilité et loyer",
            "Déclaration : photos et DPE",
            "Déclaration : formule",
            "Coordonnées bancaires",
            "Profil",
            "Calculateur de révision du loyer",
            "Mon compte",
            "Changer de mot de passe",
        ),
    ),
    (
        "Espace des opérateurs",
        (
            "Tableau de bord",
            "Captation : dossiers",
            "Captation : tableau par étape",
            "Un dossier de captation",
            "Saisie de la visite",
            "Préparation de l'accord",
            "Campagnes",
            "Nouvelle campagne",
            "Une campagne",
            "Indicateurs de captation",
            "Ménages",
            "Nouveau ménage",
            "Nouveau ménage, formulaire envoyé vide",
            "Import d'un export du SIAO",
            "Un dossier de ménage",
            "Logements possibles pour un ménage",
            "Logements disponibles",
            "Rapprochement pour un logement",
            "Proposition globale",
            "Propositions",
            "Une proposition",
            "Baux",
            "Un bail",
            "Compte locatif d'un bail",
            "Nouvelle garantie",
            "Loyers",
            "Révisions de loyer",
            "Relevés des propriétaires",
            "Virements aux propriétaires",
            "Signalements",
            "Un signalement",
            "Réglages des baux",
            "Réglages des loyers",
            "Réglages du rapprochement",
            "Impayés",
            "Un dossier d'impayé",
            "Compte locatif d'un bail en impayé",
            "Revues des baux glissants",
            "Une revue de bail glissant",
            "Établir un bail",
        ),
    ),
    ("Espace de la métropole", ("Territoire", "Tableau de bord", "Objectifs de captation", "Mon compte")),
    ("Administration", ("Accueil", "Utilisateurs", "Organisations", "Référentiel", "Mon compte")),
)


@bp.route("/")
def index():
    return render_template("public/index.html")


@bp.route("/conditions-utilisation")
def terms():
    return render_template("public/terms.html")


@bp.route("/donnees-personnelles")
def privacy():
    return render_template("public/privacy.html")


@bp.route("/accessibilite")
def accessibility():
    return render_template(
        "public/accessibility.html",
        checked_pages=CHECKED_PAGES,
        page_count=sum(len(pages) for _space, pages in CHECKED_PAGES),
        contact=current_app.config["ACCESSIBILITY_CONTACT"],
        axe_version=AXE_CORE_VERSION,
    )
