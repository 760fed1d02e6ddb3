"""Offer vocabulary: kinds, statuses, themes, remote work, with their French labels."""

from __future__ import annotations

from enum import StrEnum


class OfferKind(StrEnum):
    CHEF_DE_PROJET = "chef_de_projet"
    VTA = "vta"
    VTA_EXPERTISE = "vta_expertise"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def is_vta(self) -> bool:
        return self in (OfferKind.VTA, OfferKind.VTA_EXPERTISE)


KIND_LABELS: dict[OfferKind, str] = {
    OfferKind.CHEF_DE_PROJET: "Chef de projet Petites villes de demain",
    OfferKind.VTA: "Volontariat territorial en administration (VTA)",
    OfferKind.VTA_EXPERTISE: "VTA expertise",
}

KIND_SHORT_LABELS: dict[OfferKind, str] = {
    OfferKind.CHEF_DE_PROJET: "Chef de projet PVD",
    OfferKind.VTA: "VTA",
    OfferKind.VTA_EXPERTISE: "VTA expertise",
}


class OfferStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    PUBLISHED = "published"
    REJECTED = "rejected"
    CLOSED = "closed"
    EXPIRED = "expired"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[OfferStatus, str] = {
    OfferStatus.DRAFT: "Brouillon",
    OfferStatus.SUBMITTED: "En attente de modération",
    OfferStatus.CHANGES_REQUESTED: "Modifications demandées",
    OfferStatus.PUBLISHED: "Publiée",
    OfferStatus.REJECTED: "Refusée",
    OfferStatus.CLOSED: "Pourvue ou annulée",
    OfferStatus.EXPIRED: "Expirée",
    OfferStatus.ARCHIVED: "Archivée",
}


class RemoteWork(StrEnum):
    NO = "no"
    PARTIAL = "partial"
    FULL = "full"

    @property
    def label(self) -> str:
        return REMOTE_LABELS[self]


REMOTE_LABELS: dict[RemoteWork, str] = {
    RemoteWork.NO: "Pas de télétravail",
    RemoteWork.PARTIAL: "Télétravail partiel possible",
    RemoteWork.FULL: "Télétravail complet possible",
}

THEMES: dict[str, str] = {
    "revitalisation": "Revitalisation du centre-bourg",
    "commerce": "Commerce",
    "habitat": "Habitat",
    "patrimoine": "Patrimoine",
    "tourisme": "Tourisme",
    "culture": "Culture",
    "transition_ecologique": "Transition écologique",
    "mobilite": "Mobilité",
    "numerique": "Numérique",
    "services_publics": "Services publics",
    "amenagement": "Aménagement",
    "economie": "Développement économique",
    "sante": "Santé",
    "ingenierie": "Ingénierie de projet",
}

TITLE_MAX_LENGTH = 150
DESCRIPTION_MAX_LENGTH = 20_000
