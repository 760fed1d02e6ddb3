"""Search benchmark: synthetic offers, three engines on the same corpus and queries, one run.

- the board's search (`SearchService.search`: array execution over the Whoosh index, four facet
  counts on every call);
- plain Whoosh as the reference: a `MultifieldParser` over the same index with the board's
  field boosts and one reused searcher, `search(limit=20, groupedby=<the four facets>)` (hits
  and facets counted), and the same top 20 without counting;
- SQLite FTS5 (no stemming, no fuzzy matching, two GROUP BY counts).

Then the board's throughput with 1 and 4 threads, and the first searches after a commit.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from jobboard import clock
from jobboard.domain.offer import THEMES, OfferKind
from jobboard.search.schema import QUERY_FIELDS, SUMMARY_LENGTH, document
from jobboard.search.searcher import SearchRequest, SearchService
from jobboard.search.store import BUILD_CHUNK, IndexStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Offers of the reference build timed in the same run (Whoosh's own writer and chains).
REFERENCE_BUILD = 5000
THEME_CODES = list(THEMES)
PAGE_SIZE = 20
MIN_SAMPLES = 30  # timed requests per class even past the time budget
WARMUP_PER_CLASS = 10  # distinct requests run once, untimed, before each class

# -- corpus vocabulary -------------------------------------------------------------------------

INTROS = [
    "{commune} ({dep}, {pop} habitants) est lauréate du programme Petites villes de demain "
    "aux côtés de {epci}.",
    "Située au cœur de la région {region}, {commune} compte {pop} habitants et joue un rôle "
    "de centralité pour les communes voisines.",
    "Petite ville de caractère de {pop} habitants, {commune} porte une ambition forte pour son "
    "centre-bourg et ses habitants.",
    "La ville de {commune} et {epci} recrutent pour conduire leur projet de territoire, "
    "inscrit dans le programme Petites villes de demain depuis {annee}.",
    "Engagée depuis {annee} dans le programme Petites villes de demain piloté par l'ANCT, "
    "{commune} ({pop} habitants) renforce son équipe projet.",
]

THEME_SENTENCES: dict[str, list[str]] = {
    "revitalisation": [
        "La convention-cadre valant opération de revitalisation du territoire (ORT) fixe un "
        "cap clair : redonner de l'attractivité au centre-bourg de {commune}.",
        "Le plan guide de revitalisation prévoit la requalification des espaces publics, de "
        "la place du marché et des entrées de ville.",
        "La commune souhaite reconquérir son cœur de ville en luttant contre la vacance des "
        "logements et des cellules commerciales.",
        "Un diagnostic partagé a mis en évidence la dévitalisation progressive du "
        "centre-bourg et le besoin d'une stratégie d'ensemble.",
        "La revitalisation du centre-ville s'appuie sur un programme pluriannuel d'actions "
        "validé en {annee} par le comité de projet.",
        "Les îlots dégradés du centre ancien feront l'objet d'un recyclage foncier avec "
        "l'appui de l'établissement public foncier.",
    ],
    "commerce": [
        "La stratégie commerce de centre-ville vise à réduire la vacance commerciale, "
        "aujourd'hui estimée à {pct} % des cellules.",
        "Une boutique à l'essai et un manager de commerce accompagnent l'installation de "
        "nouveaux commerçants sur la rue principale.",
        "Le marché hebdomadaire, les halles et les commerces de proximité constituent le cœur "
        "de l'animation du bourg.",
        "La commune a acquis plusieurs locaux commerciaux vacants afin de maîtriser leur "
        "réaffectation.",
        "L'union des commerçants et la chambre de commerce et d'industrie sont associées à la "
        "démarche.",
    ],
    "habitat": [
        "Une opération programmée d'amélioration de l'habitat de renouvellement urbain "
        "(OPAH-RU) est en cours d'étude pré-opérationnelle avec l'ANAH.",
        "Le parc de logements anciens présente un taux de vacance de {pct} % et de nombreuses "
        "situations de précarité énergétique.",
        "La rénovation énergétique des logements et la lutte contre l'habitat indigne sont des "
        "priorités du mandat.",
        "Le programme local de l'habitat prévoit la production de logements adaptés aux "
        "seniors et aux jeunes actifs.",
        "Des permis de louer et des opérations de restauration immobilière complètent le "
        "dispositif.",
    ],
    "patrimoine": [
        "Le patrimoine bâti remarquable, classé en site patrimonial remarquable, fait l'objet "
        "d'un plan de valorisation.",
        "La restauration de l'église romane et des remparts médiévaux mobilise la Fondation "
        "du patrimoine et la DRAC.",
        "Les façades du centre historique bénéficient d'une campagne de ravalement subventionnée.",
        "La valorisation du patrimoine industriel et des anciennes usines textiles constitue "
        "un levier d'attractivité.",
        "Un parcours d'interprétation du patrimoine relie le château, le lavoir et la chapelle.",
    ],
    "tourisme": [
        "L'office de tourisme intercommunal accueille chaque année près de {pop} visiteurs.",
        "Le développement de l'itinérance douce, de la véloroute et des sentiers de randonnée "
        "renforce l'offre touristique.",
        "Les hébergements touristiques et la taxe de séjour font l'objet d'une observation fine.",
        "La commune mise sur le tourisme de nature, le thermalisme et les activités de pleine "
        "nature.",
    ],
    "culture": [
        "La médiathèque, l'école de musique et le cinéma associatif animent la vie culturelle "
        "locale.",
        "Un projet de tiers-lieu culturel doit voir le jour dans l'ancienne gendarmerie.",
        "La programmation culturelle estivale attire un public familial venu de tout le "
        "département.",
        "Le conseil municipal souhaite renforcer l'éducation artistique et culturelle en lien "
        "avec les écoles.",
    ],
    "transition_ecologique": [
        "La transition écologique irrigue l'ensemble du projet de territoire, du plan "
        "climat-air-énergie territorial à la renaturation des cours d'école.",
        "La rénovation énergétique des bâtiments publics et le déploiement des énergies "
        "renouvelables sont financés par le Fonds vert.",
        "La désimperméabilisation des sols, la végétalisation des places et la gestion de "
        "l'eau pluviale font partie des priorités.",
        "Un atlas de la biodiversité communale et un plan de sobriété foncière sont en cours "
        "d'élaboration.",
        "La commune s'est engagée dans une démarche zéro artificialisation nette et dans la "
        "préservation des zones humides.",
    ],
    "mobilite": [
        "Un schéma directeur des mobilités douces prévoit des pistes cyclables sécurisées "
        "entre la gare et le collège.",
        "Le développement du covoiturage, de l'autopartage et du transport à la demande répond "
        "aux besoins des habitants.",
        "La requalification du pôle d'échanges multimodal de la gare est inscrite au contrat "
        "de relance.",
        "Les aménagements de zones apaisées et de stationnement vélo favorisent la mobilité "
        "douce en centre-ville.",
    ],
    "numerique": [
        "Le déploiement de la fibre optique est achevé et la commune souhaite développer les "
        "usages numériques.",
        "Un conseiller numérique accompagne les habitants dans leurs démarches en ligne à "
        "l'espace France services.",
        "La création d'un espace de coworking et d'un fablab doit attirer des télétravailleurs "
        "et des entrepreneurs.",
        "La dématérialisation des services municipaux et l'inclusion numérique des seniors "
        "sont des chantiers prioritaires.",
    ],
    "services_publics": [
        "L'espace France services regroupe les permanences des principaux opérateurs publics.",
        "La commune porte un projet de maison des services au public et de regroupement scolaire.",
        "Le maintien des services publics de proximité, de la poste et de la trésorerie est un "
        "enjeu majeur.",
    ],
    "amenagement": [
        "Le projet d'aménagement des espaces publics comprend la requalification de la "
        "traversée de bourg et des berges de la rivière.",
        "La révision du plan local d'urbanisme intercommunal (PLUi) intègre les orientations "
        "d'aménagement et de programmation du centre.",
        "La reconversion des friches industrielles et ferroviaires ouvre des perspectives "
        "d'aménagement.",
        "Une étude urbaine confiée au CAUE doit préciser le plan guide et le phasage des "
        "opérations.",
    ],
    "economie": [
        "La zone d'activités accueille une centaine d'entreprises et plusieurs projets "
        "d'implantation sont à l'étude.",
        "Le développement économique s'appuie sur l'artisanat, l'agroalimentaire et "
        "l'économie sociale et solidaire.",
        "Un atelier relais et une pépinière d'entreprises favorisent l'installation de jeunes "
        "créateurs.",
    ],
    "sante": [
        "Une maison de santé pluriprofessionnelle réunit médecins généralistes, infirmières, "
        "kinésithérapeutes et pharmaciens.",
        "Face à la désertification médicale, la commune soutient l'installation de jeunes "
        "médecins et d'une infirmière en pratique avancée.",
        "Le contrat local de santé prévoit des actions de prévention et l'accès aux soins des "
        "personnes âgées.",
        "Le centre de santé municipal recrute des médecins salariés et développe la "
        "téléconsultation.",
        "L'extension de la maison de santé et la création d'un cabinet infirmier sont "
        "programmées pour {annee}.",
    ],
    "ingenierie": [
        "L'ingénierie de projet couvre le montage des dossiers de subvention comme le suivi des "
        "marchés publics.",
        "L'ingénierie financière mobilise la DETR, la DSIL, le Fonds vert et les crédits de la "
        "Banque des Territoires.",
        "Le poste est cofinancé par l'ANCT et la Banque des Territoires dans le cadre du "
        "programme.",
    ],
}

CONTEXT = [
    "Le comité de projet réunit chaque trimestre les élus, les services de l'État et les "
    "partenaires financeurs.",
    "Les habitants sont associés à chaque étape au travers d'ateliers de concertation et de "
    "balades urbaines.",
    "L'équipe municipale, renouvelée en {annee}, souhaite accélérer la mise en œuvre des actions.",
    "Le projet bénéficie de l'appui de {partenaire} et de {partenaire2}.",
    "Le budget d'investissement consacré au projet atteint {montant} sur la durée du mandat.",
    "Le poste est rattaché à la direction générale des services et travaille en transversalité "
    "avec les services techniques.",
]

MISSION_VERBS = [
    "Piloter",
    "Coordonner",
    "Animer",
    "Suivre",
    "Accompagner",
    "Mettre en œuvre",
    "Élaborer",
    "Préparer",
    "Évaluer",
    "Organiser",
    "Structurer",
    "Valoriser",
    "Actualiser",
]

THEME_OBJECTS: dict[str, list[str]] = {
    "revitalisation": [
        "la convention d'opération de revitalisation du territoire",
        "le plan guide du centre-bourg",
        "les actions de reconquête du cœur de ville",
    ],
    "commerce": [
        "la stratégie commerce de centre-ville",
        "l'accueil des porteurs de projets commerciaux",
        "le dispositif de boutique à l'essai",
    ],
    "habitat": [
        "l'étude pré-opérationnelle d'OPAH-RU",
        "la lutte contre la vacance des logements",
        "le programme de rénovation énergétique de l'habitat",
    ],
    "patrimoine": [
        "les projets de restauration du patrimoine",
        "la valorisation du patrimoine bâti",
        "le dossier de site patrimonial remarquable",
    ],
    "tourisme": [
        "la stratégie de développement touristique",
        "les projets de véloroute et d'itinérance",
        "le partenariat avec l'office de tourisme",
    ],
    "culture": [
        "le projet de tiers-lieu culturel",
        "la programmation culturelle",
        "le projet de médiathèque",
    ],
    "transition_ecologique": [
        "le plan de transition écologique",
        "les projets de renaturation et de désimperméabilisation",
        "la rénovation énergétique des bâtiments publics",
    ],
    "mobilite": [
        "le schéma des mobilités douces",
        "les aménagements cyclables",
        "le projet de pôle d'échanges multimodal",
    ],
    "numerique": [
        "les projets d'inclusion numérique",
        "la création de l'espace de coworking",
        "la stratégie numérique de la collectivité",
    ],
    "services_publics": [
        "l'espace France services",
        "le projet de maison des services",
        "l'adaptation des services publics",
    ],
    "amenagement": [
        "les projets d'aménagement des espaces publics",
        "la reconversion des friches",
        "la révision du PLUi",
    ],
    "economie": [
        "l'accueil des entreprises",
        "le développement de la zone d'activités",
        "l'animation du réseau d'acteurs économiques",
    ],
    "sante": [
        "le projet de maison de santé",
        "le contrat local de santé",
        "l'installation de professionnels de santé",
    ],
    "ingenierie": [
        "le montage des dossiers de subvention",
        "le suivi budgétaire et financier des opérations",
        "la programmation pluriannuelle des investissements",
    ],
}
GENERIC_OBJECTS = [
    "les comités de pilotage et les comités techniques",
    "les relations avec les partenaires financeurs",
    "la concertation avec les habitants",
    "la communication sur l'avancement du projet",
    "le tableau de bord de suivi des actions",
    "le réseau régional des chefs de projet",
]

PROFILE = [
    "Titulaire d'un {diplome} en {discipline}, vous justifiez d'une première expérience en "
    "conduite de projet.",
    "Vous connaissez l'environnement institutionnel des collectivités territoriales et les "
    "dispositifs de financement ({partenaire}, {partenaire2}).",
    "Qualités attendues : {qualite}, {qualite2} et {qualite3}.",
    "Permis B indispensable, déplacements fréquents sur le territoire.",
    "Poste à temps complet, rémunération selon la grille de la catégorie A et régime indemnitaire.",
    "Télétravail possible un jour par semaine selon les nécessités de service.",
    "Vous maîtrisez les outils bureautiques et les systèmes d'information géographique (SIG).",
    "Une connaissance des marchés publics et de la commande publique serait appréciée.",
]
VTA_PROFILE = (
    "Le poste est ouvert aux jeunes diplômés de 18 à 30 ans dans le cadre du volontariat "
    "territorial en administration, avec une aide forfaitaire de l'État."
)
DIPLOMAS = ["licence", "master", "diplôme d'ingénieur", "BTS", "DUT", "diplôme d'architecte"]
DISCIPLINES = [
    "urbanisme",
    "aménagement du territoire",
    "développement local",
    "géographie",
    "sciences politiques",
    "droit public",
    "environnement",
    "économie territoriale",
    "gestion de projet",
]
QUALITIES = [
    "sens de l'écoute",
    "esprit d'initiative",
    "capacité de synthèse",
    "autonomie",
    "goût du terrain",
    "rigueur",
    "aisance rédactionnelle",
    "sens du travail en équipe",
    "diplomatie",
    "curiosité",
]
PARTNERS = [
    "l'ANCT",
    "la Banque des Territoires",
    "l'ANAH",
    "le Cerema",
    "la DDT",
    "le CAUE",
    "l'ADEME",
    "l'établissement public foncier",
    "le conseil départemental",
    "la préfecture",
]

TITLES: dict[str, list[str]] = {
    OfferKind.CHEF_DE_PROJET.value: [
        "Chef de projet Petites villes de demain – {commune}",
        "Chef(fe) de projet PVD – {commune}",
        "Chef de projet revitalisation du centre-bourg – {commune}",
        "Chargé(e) de mission Petites villes de demain – {commune}",
        "Chef de projet Petites villes de demain et ORT – {commune} ({dep_code})",
    ],
    OfferKind.VTA.value: [
        "VTA – Chargé(e) de mission {theme}",
        "VTA – Chargé(e) de mission {theme} – {commune}",
        "Volontaire territorial en administration – {theme}",
        "VTA – Chargé(e) de projet {theme} ({commune})",
    ],
    OfferKind.VTA_EXPERTISE.value: [
        "VTA expertise – {theme}",
        "VTA expertise – Chargé(e) d'opération {theme} – {commune}",
        "VTA expertise – Ingénieur(e) {theme}",
    ],
}
KINDS = [k.value for k in OfferKind]
KIND_WEIGHTS = [0.55, 0.35, 0.10]
THEME_WEIGHTS = [
    3.0 if code in ("revitalisation", "commerce", "habitat") else 1.0 for code in THEMES
]

# -- queries -----------------------------------------------------------------------------------

ONE_WORD = [
    "patrimoine",
    "infirmière",
    "mobilité",
    "numérique",
    "commerce",
    "habitat",
    "tourisme",
    "urbanisme",
    "friches",
    "médiathèque",
    "logements",
    "vélo",
    "halles",
    "subvention",
    "culture",
    "coworking",
]
MULTI_WORD = [
    "transition écologique",
    "revitalisation centre-bourg",
    "chargé mission habitat",
    "commerce centre-ville",
    "maison santé",
    "mobilité douce",
    "logements vacants",
    "patrimoine bâti",
    "tiers-lieu culturel",
    "rénovation énergétique",
    "office tourisme",
    "cœur de ville",
]
PHRASES = [
    '"maison de santé"',
    '"petites villes de demain"',
    '"transition écologique"',
    '"centre-bourg"',
    '"mobilité douce"',
    '"commerces de proximité"',
    '"vacance des logements"',
    '"opération de revitalisation du territoire"',
]
MISSPELLED = [
    "patrimoinne",
    "ecologiqe",
    "revitalisasion",
    "comerce",
    "turisme",
    "infirmiér",
    "mobiliter",
    "numerik",
    "habitatt",
    "transision ecologiqe",
]
TWO_WORDS = [q for q in MULTI_WORD if len(q.split()) == 2]


@dataclass(frozen=True)
class Geography:
    communes: list[tuple[str, str, str]]  # (name, departement code, region code)
    departements: dict[str, str]
    regions: dict[str, str]


def load_geography() -> Geography:
    """Communes of 1,500–20,000 inhabitants (the PVD range) in the 18 régions, from fixtures/."""
    with (FIXTURES / "regions.csv").open(encoding="utf-8") as f:
        regions = {r["code"]: r["name"] for r in csv.DictReader(f) if len(r["code"]) == 2}
    with (FIXTURES / "departements.csv").open(encoding="utf-8") as f:
        departements = {r["code"]: r["name"] for r in csv.DictReader(f) if r["region"] in regions}
    with (FIXTURES / "communes.csv").open(encoding="utf-8") as f:
        communes = [
            (r["name"], r["departement"], r["region"])
            for r in csv.DictReader(f)
            if r["departement"] in departements
            and r["population"]
            and 1_500 <= int(r["population"]) <= 20_000
        ]
    return Geography(communes, departements, regions)


def _words(text: str) -> int:
    return len(text.split())


def generate(n: int, seed: int, geo: Geography, today: date) -> Iterator[dict[str, Any]]:
    """N offer documents shaped like schema.offer_document's, the same for the same seed."""
    rng = random.Random(seed)
    now = datetime(today.year, today.month, today.day, 12).timestamp()
    for number in range(1, n + 1):
        commune, dep_code, region_code = rng.choice(geo.communes)
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        themes = list(
            dict.fromkeys(rng.choices(THEME_CODES, THEME_WEIGHTS, k=rng.choice((1, 1, 2, 2, 3))))
        )
        neighbour = rng.choice(geo.communes)[0]
        epci = rng.choice(
            (
                f"la communauté de communes du Pays de {neighbour}",
                f"la communauté de communes {commune}-{neighbour}",
                f"la communauté d'agglomération de {neighbour}",
            )
        )
        partners = rng.sample(PARTNERS, 2)
        qualities = rng.sample(QUALITIES, 3)
        slots = {
            "commune": commune,
            "dep": geo.departements[dep_code],
            "dep_code": dep_code,
            "region": geo.regions[region_code],
            "epci": epci,
            "pop": f"{rng.randint(1_500, 20_000):,}".replace(",", " "),
            "annee": str(rng.randint(2021, 2027)),
            "pct": str(rng.randint(6, 25)),
            "montant": f"{rng.randint(2, 40) / 2:.1f}".replace(".", ",") + " millions d'euros",
            "partenaire": partners[0],
            "partenaire2": partners[1],
            "diplome": rng.choice(DIPLOMAS),
            "discipline": rng.choice(DISCIPLINES),
            "qualite": qualities[0],
            "qualite2": qualities[1],
            "qualite3": qualities[2],
            "theme": THEMES[themes[0]],
        }
        title = rng.choice(TITLES[kind]).format(**slots)
        target = rng.randint(150, 300)

        description = [rng.choice(INTROS).format(**slots)]
        pool = [s for t in themes for s in THEME_SENTENCES[t]] + CONTEXT
        rng.shuffle(pool)
        for sentence in pool:
            if sum(map(_words, description)) >= target * 0.45:
                break
            description.append(sentence.format(**slots))
        missions: list[str] = []
        objects = [o for t in themes for o in THEME_OBJECTS[t]] + GENERIC_OBJECTS
        rng.shuffle(objects)
        for obj in objects:
            if sum(map(_words, missions)) >= target * 0.3:
                break
            missions.append(f"- {rng.choice(MISSION_VERBS)} {obj}")
        profile = [VTA_PROFILE] if kind != OfferKind.CHEF_DE_PROJET.value else []
        for sentence in rng.sample(PROFILE, len(PROFILE)):
            if sum(map(_words, profile)) >= target * 0.25:
                break
            profile.append(sentence.format(**slots))

        description_text = " ".join(description)
        body = "\n".join((description_text, "\n".join(missions), " ".join(profile)))
        place = f"Commune de {commune} {commune} {geo.departements[dep_code]}"
        published = int(now - rng.uniform(0, 365 * 86_400))
        deadline = today + timedelta(days=rng.randint(7, 120))
        is_vta = kind != OfferKind.CHEF_DE_PROJET.value
        yield document(
            offer_id=number,
            title=title,
            place=place,
            body=body,
            summary=description_text[:SUMMARY_LENGTH],
            kind=kind,
            departement=dep_code,
            region=region_code,
            themes=themes,
            published=published,
            deadline=deadline,
            start_date=deadline + timedelta(days=rng.randint(15, 90)),
            remote=rng.choice(("no", "no", "partial", "full")),
            commune_name=commune,
            departement_name=geo.departements[dep_code],
            duration_months=rng.randint(12, 18) if is_vta else rng.choice((24, 36, 48, 72)),
            min_diploma_level=rng.randint(5, 7),
        )


class Timed:
    """Wraps an iterator and adds up the time spent producing its items (the generator's)."""

    def __init__(self, items: Iterable[dict[str, Any]], every: int = 0) -> None:
        self.items = iter(items)
        self.seconds = 0.0
        self.count = 0
        self.every = every

    def __iter__(self) -> Iterator[dict[str, Any]]:
        while True:
            start = time.perf_counter()
            try:
                item = next(self.items)
            except StopIteration:
                self.seconds += time.perf_counter() - start
                return
            self.seconds += time.perf_counter() - start
            self.count += 1
            if self.every and self.count % self.every == 0:
                print(f"  … {self.count} documents", file=sys.stderr, flush=True)
            yield item


# -- query classes -----------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)
    fuzzy: list[bool] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # "Type: message" -> count

    def error(self, exc: Exception) -> None:
        key = f"{type(exc).__name__}: {exc}"
        self.errors[key] = self.errors.get(key, 0) + 1


def make_classes(count: int, seed: int, departements: list[str]) -> dict[str, list[SearchRequest]]:
    rng = random.Random(seed * 7919 + 17)

    def one(pick: Callable[[], SearchRequest]) -> list[SearchRequest]:
        return [pick() for _ in range(count)]

    return {
        "1 mot": one(lambda: SearchRequest(q=rng.choice(ONE_WORD))),
        "2-3 mots": one(lambda: SearchRequest(q=rng.choice(MULTI_WORD))),
        "expression": one(lambda: SearchRequest(q=rng.choice(PHRASES))),
        "approchée": one(lambda: SearchRequest(q=rng.choice(MISSPELLED))),
        "avec filtres": one(
            lambda: SearchRequest(
                q=rng.choice(TWO_WORDS),
                kind=rng.choice(KINDS),
                departement=rng.choice(departements),
            )
        ),
        "vide + facettes": one(lambda: SearchRequest(q="", sort="date")),
        "vide + filtre": one(
            lambda: SearchRequest(q="", sort="date", theme=rng.choice(THEME_CODES))
        ),
    }


def budgeted(requests: list[SearchRequest], budget: float) -> Iterator[SearchRequest]:
    """The requests in order, stopping early once `budget` seconds have passed (0: never)."""
    start = time.perf_counter()
    for done, request in enumerate(requests):
        if budget and done >= MIN_SAMPLES and time.perf_counter() - start > budget:
            return
        yield request


FTS_CLASSES = ("1 mot", "2-3 mots", "expression", "approchée", "avec filtres", "vide + facettes")


def print_table(title: str, samples: dict[str, Sample], with_fuzzy: bool) -> None:
    print(f"\n{title}")
    header = f"  {'classe':<16} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'moy ms':>8}"
    header += f" {'hits moy.':>10}" + (f" {'approché':>9}" if with_fuzzy else "")
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name, sample in samples.items():
        if not sample.seconds:
            print(f"  {name:<16} {0:>5} {'—':>8} {'—':>8} {'—':>8} {'—':>8} {'—':>10}")
            continue
        ms = np.array(sample.seconds) * 1000
        p50, p95, p99 = np.percentile(ms, [50, 95, 99])
        line = (
            f"  {name:<16} {len(ms):>5} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {ms.mean():>8.1f}"
            f" {np.mean(sample.totals):>10.1f}"
        )
        if with_fuzzy:
            line += f" {100 * np.mean(sample.fuzzy):>8.0f}%"
        print(line)
    for name, sample in samples.items():
        for message, count in sample.errors.items():
            print(f"  ERREUR « {name} » : {count} requête(s) ont levé {message}")


def directory_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def memory() -> str:
    """VmRSS (of which anonymous / file-backed, i.e. mmapped index files) and its peak VmHWM."""
    kb = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            kb[key] = int(value.split()[0])
    mb = {key: value / 1024 for key, value in kb.items()}
    return (
        f"VmRSS {mb.get('VmRSS', 0):.0f} MB (anonyme {mb.get('RssAnon', 0):.0f},"
        f" fichiers mappés {mb.get('RssFile', 0):.0f}), VmHWM (pic) {mb.get('VmHWM', 0):.0f} MB"
    )


SERVER_MEMORY = """
import json, os, sys
from pathlib import Path
from jobboard.app import create_app
from jobboard.search.searcher import SearchRequest
from jobboard.settings import Settings
settings = Settings.from_env()
app = create_app(settings, with_database=False)
requests = [SearchRequest(**r) for r in json.loads(sys.stdin.read())]
for _ in range(2):
    for request in requests:
        app.state.search.search(request)
status = dict(
    line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
)
print(json.dumps({k: int(status[k].split()[0]) for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}))
"""


def bench_server_memory(index: Path, classes: dict[str, list[SearchRequest]]) -> None:
    """The memory of a fresh process holding what a server holds for search: the app created,
    its search service over this index, every class of queries run twice (the caches full)."""
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as data:
        (Path(data) / "index").symlink_to(index.resolve())
        env = dict(os.environ, JOBBOARD_DATA_DIR=data)
        env.pop("JOBBOARD_DATABASE_URL", None)
        requests = [
            {k: v for k, v in dataclasses.asdict(r).items() if v not in (None, "", (), False)}
            for requests in classes.values()
            for r in requests
        ]
        out = subprocess.run(
            [sys.executable, "-c", SERVER_MEMORY],
            input=json.dumps(requests, default=str),
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
    mb = {key: value / 1024 for key, value in json.loads(out).items()}
    print(
        f"\nMémoire d'un processus serveur (application créée, index ouvert, {len(requests)}"
        f" requêtes jouées deux fois) : VmRSS {mb['VmRSS']:.0f} MB (anonyme"
        f" {mb['RssAnon']:.0f}, fichiers mappés {mb['RssFile']:.0f}), pic {mb['VmHWM']:.0f} MB"
    )


# -- Whoosh ------------------------------------------------------------------------------------


def stock_rebuild(store: IndexStore, corpus: list[dict[str, Any]]) -> int:
    """The rebuild as it was before its fast path, for reference: Whoosh's writer (with the
    field lengths read once) and Whoosh's analysis chains, one chunk after the other in this
    process. The same chunks and segments, hence the same index."""
    from whoosh import index
    from whoosh.analysis import LowercaseFilter, RegexTokenizer

    from jobboard.search.analysis import WORD_PATTERN, DualFormFilter, _StopFilter
    from jobboard.search.store import _Writer

    french = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | DualFormFilter()
    chains = {name: french for name in ("title", "place", "body")}
    chains["spell"] = RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | _StopFilter()
    build = store.start_build(floor=0)
    ix = index.open_dir(str(build.path))
    for start in range(0, len(corpus), BUILD_CHUNK):
        writer = _Writer(ix, limitmb=256, compound=False)
        for name, chain in chains.items():
            writer.schema[name].analyzer = chain
        for fields in corpus[start : start + BUILD_CHUNK]:
            writer.add_document(**fields)
        writer.commit(merge=False)
    build.count = len(corpus)
    return build.finish()


def bench_whoosh(
    root: Path,
    docs: Callable[[], Iterable[dict[str, Any]]],
    classes: dict[str, list[SearchRequest]],
    progress_every: int,
    budget: float,
    results: dict[str, dict[str, Sample]],
    workers: int | None = None,
    stock: bool = False,
) -> None:
    store = IndexStore(root / "whoosh", workers=workers)
    timed = Timed(docs(), every=progress_every)
    # Generated first: with worker processes, generating while they write would overlap.
    corpus = list(timed)
    start = time.perf_counter()
    count = stock_rebuild(store, corpus) if stock else store.rebuild(corpus)
    build = time.perf_counter() - start
    reference = None
    if not stock:
        # The reference in the same run: the first offers built as before the fast path.
        sample = corpus[:REFERENCE_BUILD]
        start = time.perf_counter()
        stock_rebuild(IndexStore(root / "whoosh-stock"), sample)
        reference = (len(sample), len(sample) / (time.perf_counter() - start))
        shutil.rmtree(root / "whoosh-stock")
    del corpus
    size = directory_mb(store.directory / (store.generation() or "current"))
    how = "Whoosh seul, sans chemin rapide, 1 processus" if stock else "IndexStore.rebuild"
    print(f"\nIndex Whoosh ({how})")
    print(f"  documents          {count}")
    print(f"  génération corpus  {timed.seconds:.1f} s (exclue)")
    workers = 1 if stock else store.build_workers()
    print(f"  processus          jusqu’à {workers} (morceaux de {BUILD_CHUNK} offres)")
    print(f"  construction       {build:.1f} s ({count / build:,.0f} docs/s)")
    if reference is not None:
        sampled, rate = reference
        print(
            f"  référence          {rate:,.0f} docs/s (écrivain et chaînes de Whoosh, 1 processus,"
            f" {sampled} premières offres) : construction à {count / build / rate:.2f}×"
        )
    print(f"  taille sur disque  {size:.1f} MB")
    print(f"  mémoire            {memory()}")

    service = SearchService(store)
    start = time.perf_counter()
    service.search(SearchRequest())
    print(f"  1re recherche (ouverture + tableaux de facettes) {time.perf_counter() - start:.2f} s")

    samples: dict[str, Sample] = {}
    for name, requests in classes.items():
        for request in list(dict.fromkeys(requests))[:WARMUP_PER_CLASS]:
            with contextlib.suppress(Exception):
                service.search(request)
        sample = Sample()
        for request in budgeted(requests, budget):
            start = time.perf_counter()
            try:
                result = service.search(request)
            except Exception as exc:  # reported below the table, the run goes on
                sample.error(exc)
                continue
            sample.seconds.append(time.perf_counter() - start)
            sample.totals.append(result.total)
            sample.fuzzy.append(result.fuzzy)
        samples[name] = sample
    print_table("Recherche du site – SearchService.search (facettes à chaque appel)", samples, True)
    print(f"\n  mémoire après les recherches du site : {memory()}")
    results["site"] = samples
    results["whoosh"], results["whoosh top 20"] = bench_plain(store, classes, budget)
    bench_threads(service, classes)
    bench_after_commit(service, store)  # last: it adds offers to the index
    service.close()


def plain_query(parser: Any, request: SearchRequest) -> Any:
    from whoosh.query import Every

    return parser.parse(request.q) if request.q.strip() else Every()


def plain_filter(request: SearchRequest) -> Any:
    from whoosh.query import And, Term

    terms = [
        Term(name, value)
        for name, value in (
            ("kind", request.kind),
            ("departement", request.departement),
            ("themes", request.theme),
        )
        if value
    ]
    return And(terms) if terms else None


def bench_plain(
    store: IndexStore, classes: dict[str, list[SearchRequest]], budget: float
) -> tuple[dict[str, Sample], dict[str, Sample]]:
    """Plain Whoosh on the same index: the reference the board's search is compared with."""
    from whoosh.qparser import MultifieldParser

    ix = store.open()
    searcher = ix.searcher()
    parser = MultifieldParser(list(QUERY_FIELDS), ix.schema, fieldboosts=QUERY_FIELDS)
    facets = ["kind", "departement", "region", "themes"]

    def counted(request: SearchRequest) -> int:
        results = searcher.search(
            plain_query(parser, request),
            limit=PAGE_SIZE,
            filter=plain_filter(request),
            groupedby=facets,
        )
        for name in facets:
            results.groups(name)
        return len(results)

    def top_only(request: SearchRequest) -> int:
        results = searcher.search(
            plain_query(parser, request), limit=PAGE_SIZE, filter=plain_filter(request)
        )
        return int(results.scored_length())

    found = []
    for title, run in (
        ("Whoosh seul – MultifieldParser, top 20 + total + 4 facettes (groupedby)", counted),
        ("Whoosh seul – top 20 sans comptage ni facettes", top_only),
    ):
        samples: dict[str, Sample] = {}
        for name, requests in classes.items():
            for request in list(dict.fromkeys(requests))[:WARMUP_PER_CLASS]:
                with contextlib.suppress(Exception):
                    run(request)
            sample = Sample()
            for request in budgeted(requests, budget):
                start = time.perf_counter()
                try:
                    total = run(request)
                except Exception as exc:  # reported below the table
                    sample.error(exc)
                    continue
                sample.seconds.append(time.perf_counter() - start)
                sample.totals.append(total)
            samples[name] = sample
        print_table(title, samples, False)
        found.append(samples)
    searcher.close()
    return found[0], found[1]


def bench_threads(service: SearchService, classes: dict[str, list[SearchRequest]]) -> None:
    """Searches per second over a mix of every class, with 1 then 4 threads (2 s each)."""
    mixed = [r for requests in classes.values() for r in requests[:20]]
    random.Random(3).shuffle(mixed)
    print("\nDébit de la recherche du site (mélange de toutes les classes, 2 s par mesure)")
    for threads in (1, 4):
        done = [0] * threads
        stop = time.perf_counter() + 2.0

        def work(
            slot: int, threads: int = threads, stop: float = stop, done: list[int] = done
        ) -> None:
            position = slot
            while time.perf_counter() < stop:
                service.search(mixed[position % len(mixed)])
                position += threads
                done[slot] += 1

        workers = [threading.Thread(target=work, args=(slot,)) for slot in range(threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - start
        print(f"  {threads} fil(s) : {sum(done) / elapsed:,.0f} recherches/s")


def bench_after_commit(service: SearchService, store: IndexStore, rounds: int = 10) -> None:
    """An offer added by an incremental commit (as the indexer writes it): the time from the
    commit's start to the first search that finds it, then the next searches' latency."""
    template = next(iter(generate(1, 99, load_geography(), clock.today())))
    first: list[float] = []
    findable: list[float] = []
    commits: list[float] = []
    following: list[float] = []
    for number in range(rounds):
        word = f"zqbench{chr(97 + number % 26)}{number}"
        doc = dict(template, id=str(900_000_000 + number), title=f"{template['title']} {word}")
        start = time.perf_counter()
        store.apply([doc], deleted_ids=[])
        committed = time.perf_counter()
        result = service.search(SearchRequest(q=word))
        done = time.perf_counter()
        assert result.total == 1, (word, result.total)
        commits.append(committed - start)
        first.append(done - committed)
        findable.append(done - start)
        for request in (SearchRequest(q="patrimoine"), SearchRequest(q="mobilité douce")):
            begin = time.perf_counter()
            service.search(request)
            following.append(time.perf_counter() - begin)
    ms = {
        k: np.array(v) * 1000
        for k, v in (
            ("commit", commits),
            ("1re", first),
            ("trouvable", findable),
            ("suivantes", following),
        )
    }
    print(f"\nAprès un commit incrémental ({rounds} offres ajoutées une à une)")
    for label, key in (
        ("commit (écriture du segment)", "commit"),
        ("1re recherche après le commit", "1re"),
        ("du début du commit à l'offre trouvée", "trouvable"),
        ("recherches suivantes", "suivantes"),
    ):
        values = ms[key]
        print(f"  {label:<38} p50 {np.median(values):7.1f} ms   max {values.max():7.1f} ms")


def print_comparison(results: dict[str, dict[str, Sample]]) -> None:
    """p50 / p95 per class and engine, with the board's ratios to plain Whoosh and FTS5."""
    engines = [e for e in ("site", "whoosh", "whoosh top 20", "fts5") if e in results]
    print("\nComparaison (ms, p50 / p95 ; ratio = site ÷ autre, au p50)")
    header = f"  {'classe':<16}" + "".join(f" {e:>18}" for e in engines)
    header += f" {'÷ whoosh':>9} {'÷ fts5':>7}"
    print(header)
    print("  " + "-" * (len(header) - 2))

    def p50_p95(engine: str, name: str) -> tuple[float, float] | None:
        sample = results[engine].get(name)
        if sample is None or not sample.seconds:
            return None
        p50, p95 = np.percentile(np.array(sample.seconds) * 1000, [50, 95])
        return float(p50), float(p95)

    for name in results["site"]:
        line = f"  {name:<16}"
        for engine in engines:
            found = p50_p95(engine, name)
            line += f" {'—':>18}" if found is None else f" {found[0]:>8.1f} / {found[1]:>7.1f}"
        site = p50_p95("site", name)
        for other in ("whoosh", "fts5"):
            found = p50_p95(other, name) if other in results else None
            width = 9 if other == "whoosh" else 7
            ratio = f"{site[0] / found[0]:.2f}" if site and found and found[0] else "—"
            line += f" {ratio:>{width}}"
        print(line)


# -- SQLite FTS5 -------------------------------------------------------------------------------

FTS_WEIGHTS = "bm25(fts, 4.0, 2.0, 1.0)"


def fts_match(q: str) -> str:
    """Words and "phrases" as FTS5 strings (implicit AND), no operator syntax left."""
    parts = []
    for phrase, word in re.findall(r'"([^"]*)"|([\w-]+)', q):
        tokens = re.findall(r"\w+", phrase or word)
        if tokens:
            parts.append('"' + " ".join(tokens) + '"')
    return " ".join(parts)


def build_sqlite(path: Path, docs: Iterable[dict[str, Any]]) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute(
        "CREATE TABLE offers (id INTEGER PRIMARY KEY, kind TEXT, departement TEXT, region TEXT,"
        " themes TEXT, published INTEGER, title TEXT, commune_name TEXT)"
    )
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(title, place, body,"
        " tokenize='unicode61 remove_diacritics 2')"
    )
    with db:
        for d in docs:
            rowid = int(d["id"])
            db.execute(
                "INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rowid,
                    d["kind"],
                    d["departement"],
                    d["region"],
                    d["themes"],
                    d["published"],
                    d["title"],
                    d["commune_name"],
                ),
            )
            db.execute(
                "INSERT INTO fts (rowid, title, place, body) VALUES (?, ?, ?, ?)",
                (rowid, d["title"], d["place"], d["body"]),
            )
        for column in ("published", "kind", "departement"):
            db.execute(f"CREATE INDEX offers_{column} ON offers ({column})")
        db.execute("INSERT INTO fts (fts) VALUES ('optimize')")
    db.execute("ANALYZE")
    return db


def sqlite_search(db: sqlite3.Connection, request: SearchRequest) -> int:
    filters = {"kind": request.kind, "departement": request.departement}
    if not request.q:
        db.execute("SELECT id, title FROM offers ORDER BY published DESC LIMIT ?", (PAGE_SIZE,))
        rows = db.execute("SELECT kind, count(*) FROM offers GROUP BY kind").fetchall()
        db.execute("SELECT departement, count(*) FROM offers GROUP BY departement").fetchall()
        return sum(c for _, c in rows)
    match = fts_match(request.q)
    if not match:
        return 0

    def where(skip: str = "") -> tuple[str, list[str]]:
        sql, params = "fts MATCH ?", [match]
        for name, value in filters.items():
            if value and name != skip:
                sql += f" AND o.{name} = ?"
                params.append(value)
        return sql, params

    sql, params = where()
    db.execute(
        f"SELECT o.id, o.title, snippet(fts, 2, '<mark>', '</mark>', ' … ', 24)"
        f" FROM fts JOIN offers o ON o.id = fts.rowid WHERE {sql}"
        f" ORDER BY {FTS_WEIGHTS} LIMIT ?",
        (*params, PAGE_SIZE),
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for name in filters:
        sql, params = where(skip=name)
        rows = db.execute(
            f"SELECT o.{name}, count(*) FROM fts JOIN offers o ON o.id = fts.rowid"
            f" WHERE {sql} GROUP BY o.{name}",
            params,
        ).fetchall()
        counts[name] = dict(rows)
    if request.kind:
        return counts["kind"].get(request.kind, 0)
    return sum(counts["kind"].values())


def bench_sqlite(
    root: Path,
    docs: Callable[[], Iterable[dict[str, Any]]],
    classes: dict[str, list[SearchRequest]],
    budget: float,
    results: dict[str, dict[str, Sample]],
) -> None:
    path = root / "fts.sqlite3"
    timed = Timed(docs())
    start = time.perf_counter()
    db = build_sqlite(path, timed)
    build = time.perf_counter() - start - timed.seconds
    print("\nSQLite FTS5 (référence ; unicode61 remove_diacritics 2, sans racinisation ni flou)")
    print(f"  SQLite {sqlite3.sqlite_version}")
    print(f"  construction       {build:.1f} s ({timed.count / build:,.0f} docs/s)")
    print(f"  taille sur disque  {path.stat().st_size / 1e6:.1f} MB")
    samples: dict[str, Sample] = {}
    for name in FTS_CLASSES:
        requests = classes[name]
        for request in list(dict.fromkeys(requests))[:WARMUP_PER_CLASS]:
            sqlite_search(db, request)
        sample = Sample()
        for request in budgeted(requests, budget):
            start = time.perf_counter()
            sample.totals.append(sqlite_search(db, request))
            sample.seconds.append(time.perf_counter() - start)
        samples[name] = sample
    print_table("SQLite FTS5 – top 20 bm25 + snippet + GROUP BY kind/departement", samples, False)
    db.close()
    results["fts5"] = samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="number of offers")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per class")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep",
        type=Path,
        help="build both indexes in this new directory and keep them (default: a temp dir)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=2.0,
        help=f"seconds per class after which timing stops (at least {MIN_SAMPLES} requests);"
        " 0 runs every request",
    )
    parser.add_argument(
        "--workers", type=int, help="worker processes of the index build (default: the board's)"
    )
    parser.add_argument(
        "--stock-build",
        action="store_true",
        help="build the index as before its fast path (Whoosh's writer and chains, 1 process)",
    )
    args = parser.parse_args(argv)

    geo = load_geography()
    today = clock.today()

    def docs() -> Iterator[dict[str, Any]]:
        return generate(args.n, args.seed, geo, today)

    classes = make_classes(args.queries, args.seed, sorted({c[1] for c in geo.communes}))
    print(
        f"Corpus : {args.n} offres synthétiques (graine {args.seed}), {len(geo.communes)} communes,"
        f" {len({c[1] for c in geo.communes})} départements, {len(geo.regions)} régions ;"
        f" jusqu'à {args.queries} requêtes mesurées par classe (budget {args.budget:g} s/classe)"
    )
    sample = list(generate(min(args.n, 500), args.seed, geo, today))
    words = [len(d["body"].split()) for d in sample]
    print(f"Corps : {np.mean(words):.0f} mots en moyenne ({min(words)}–{max(words)})")
    print(f"Exemple : {sample[0]['title']}")

    with contextlib.ExitStack() as stack:
        if args.keep:
            root = args.keep
            root.mkdir(parents=True, exist_ok=False)
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-search-")))
        results: dict[str, dict[str, Sample]] = {}
        every = 10_000 if args.n >= 50_000 else 0
        bench_whoosh(
            root, docs, classes, every, args.budget, results, args.workers, args.stock_build
        )
        bench_server_memory(root / "whoosh", classes)
        bench_sqlite(root, docs, classes, args.budget, results)
        print_comparison(results)
    if args.keep:
        print(f"\nIndex gardés dans {args.keep}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
