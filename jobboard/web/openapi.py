"""The OpenAPI 3.1 document of the open-data API, written from the code that validates the
parameters (`API_PARAMS`, each `BoardParam.json_schema`) and that writes the offers
(`OFFER_JSON_SCHEMA`, which tests check `as_json` against): nothing here is a hand-kept copy."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from jobboard.domain.api_query import API_PARAMS, DEFAULT_LIMIT, DEFAULT_SORT
from jobboard.domain.board_query import BoardParam
from jobboard.domain.parsing import DB_INT_MAX
from jobboard.services.offer_public import OFFER_JSON_SCHEMA
from jobboard.web.api import DOCUMENT_CACHE_CONTROL, _base, cached_json
from jobboard.web.auth import public
from jobboard.web.board import _choices
from jobboard.web.problem import PROBLEM_TYPES, TITLES

VERSION = "1.0.0"
ORDER_DESCRIPTION = (
    "Les offres publiées et ouvertes aux candidatures, cherchées comme sur /offres (mêmes "
    "mots-clés, mêmes filtres). Ordre stable : par date de publication (la plus récente "
    "d’abord) ou par échéance, puis par numéro d’offre décroissant. La pagination suit un "
    'curseur : le lien `next` du corps (et l’en-tête `Link : <…>; rel="next"`) donne la page '
    "suivante ; en le suivant jusqu’au bout, chaque offre apparaît une fois et une seule, même "
    "si des offres sont publiées pendant le parcours (celles-ci apparaissent au parcours suivant)."
)


def parameter(spec: BoardParam, reference: dict[str, Collection[str]]) -> dict[str, Any]:
    schema = spec.json_schema(reference)
    if spec.name == "limit":
        schema["default"] = DEFAULT_LIMIT
    elif spec.name == "tri":
        schema["default"] = DEFAULT_SORT
    return {
        "name": spec.name,
        "in": "query",
        "required": False,
        "description": spec.description,
        "schema": schema,
    }


def _content(ref: str, media_type: str = "application/json") -> dict[str, Any]:
    return {media_type: {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _problem(status: int, description: str, schema: str = "Problem") -> dict[str, Any]:
    return {"description": description, "content": _content(schema, "application/problem+json")}


_ETAG = {"ETag": {"description": "Version de la réponse", "schema": {"type": "string"}}}
_CACHE = {"Cache-Control": {"description": "Durée de mise en cache", "schema": {"type": "string"}}}
_RETRY = {
    "Retry-After": {
        "description": "Secondes à attendre avant de réessayer",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


def openapi_document(
    base_url: str, *, departements: Collection[str], regions: Collection[str]
) -> dict[str, Any]:
    reference = {"departements": departements, "regions": regions}
    not_modified = {
        "description": "Inchangée depuis la version nommée par `If-None-Match`",
        "headers": _ETAG,
    }
    too_many = {**_problem(429, "Trop de requêtes depuis cette adresse IP"), "headers": _RETRY}
    bad_request = _problem(400, "Paramètre inconnu, répété ou mal écrit, curseur invalide")
    offer_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "Numéro de l’offre",
        "schema": {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX},
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "API des offres de la Bourse Petites villes de demain",
            "version": VERSION,
            "description": (
                "Offres de chef de projet Petites villes de demain et de volontariat territorial "
                "en administration (VTA), en données ouvertes (licence etalab-2.0). Lecture "
                "seule, sans compte ni clé ; erreurs au format `application/problem+json` "
                f"(RFC 9457). Documentation : {base_url}/api"
            ),
            "license": {"name": "Licence Ouverte 2.0 (etalab-2.0)", "identifier": "etalab-2.0"},
        },
        "servers": [{"url": base_url}],
        "paths": {
            "/api/v1/offres": {
                "get": {
                    "operationId": "listOffers",
                    "summary": "Chercher les offres ouvertes",
                    "description": ORDER_DESCRIPTION,
                    "parameters": [parameter(spec, reference) for spec in API_PARAMS],
                    "responses": {
                        "200": {
                            "description": "Une page d’offres",
                            "headers": {
                                **_ETAG,
                                **_CACHE,
                                "Link": {
                                    "description": 'Page suivante (`rel="next"`)',
                                    "schema": {"type": "string"},
                                },
                            },
                            "content": _content("OfferPage"),
                        },
                        "304": not_modified,
                        "400": bad_request,
                        "429": too_many,
                    },
                }
            },
            "/api/v1/offres/{id}": {
                "get": {
                    "operationId": "getOffer",
                    "summary": "Lire une offre",
                    "description": (
                        "Une offre publiée. Une offre pourvue, annulée ou dont la date limite "
                        "est passée répond 410, avec son dernier état dans `offer`."
                    ),
                    "parameters": [offer_id],
                    "responses": {
                        "200": {
                            "description": "L’offre, ouverte aux candidatures",
                            "headers": {**_ETAG, **_CACHE},
                            "content": _content("Offer"),
                        },
                        "304": not_modified,
                        "400": bad_request,
                        "404": _problem(404, "Aucune offre publiée ne porte ce numéro"),
                        "410": _problem(410, "Offre pourvue, annulée ou expirée", "Gone"),
                        "429": too_many,
                    },
                }
            },
        },
        "components": {"schemas": schemas(base_url)},
    }


def schemas(base_url: str) -> dict[str, Any]:
    problem_properties: dict[str, Any] = {
        "type": {
            "type": "string",
            "format": "uri",
            "enum": [f"{base_url}/api#{slug}" for slug in PROBLEM_TYPES.values()],
        },
        "title": {"type": "string", "enum": sorted(set(TITLES.values()))},
        "status": {"type": "integer", "enum": sorted(PROBLEM_TYPES)},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "invalid_params": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                "required": ["name", "reason"],
                "additionalProperties": False,
            },
        },
    }
    problem = {
        "type": "object",
        "description": "Erreur (RFC 9457), en français",
        "properties": problem_properties,
        "required": ["type", "title", "status", "detail"],
        "additionalProperties": False,
    }
    gone = {
        "type": "object",
        "description": "Offre retirée : l’erreur et le dernier état de l’offre",
        "properties": {
            **{k: v for k, v in problem_properties.items() if k != "invalid_params"},
            "status": {"type": "integer", "const": 410},
            "offer": {"$ref": "#/components/schemas/Offer"},
        },
        "required": ["type", "title", "status", "detail", "offer"],
        "additionalProperties": False,
    }
    page = {
        "type": "object",
        "properties": {
            "total": {"type": "integer", "minimum": 0, "description": "Offres trouvées"},
            "limit": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Offer"}},
            "next": {
                "anyOf": [{"type": "string", "format": "uri"}, {"type": "null"}],
                "description": "Adresse de la page suivante, null sur la dernière",
            },
        },
        "required": ["total", "limit", "items", "next"],
        "additionalProperties": False,
    }
    return {"Offer": OFFER_JSON_SCHEMA, "OfferPage": page, "Problem": problem, "Gone": gone}


@public
async def openapi(request: Request) -> Response:
    choices = await _choices(request)
    document = openapi_document(
        _base(request),
        departements=choices["departement_names"],
        regions=choices["region_names"],
    )
    return cached_json(request, document, cache_control=DOCUMENT_CACHE_CONTROL)
