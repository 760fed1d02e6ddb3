"""French names written by the board: a commune as an employer."""

from __future__ import annotations

from jobboard.domain.french import commune_organisation_name


def test_a_commune_as_employer_is_named_with_elision_and_contraction() -> None:
    assert commune_organisation_name("Fumel") == "Commune de Fumel"
    assert commune_organisation_name("Espinasses") == "Commune d’Espinasses"
    assert commune_organisation_name("Ussel") == "Commune d’Ussel"
    assert commune_organisation_name("Étampes") == "Commune d’Étampes"
    assert commune_organisation_name("Yvetot") == "Commune d’Yvetot"
    assert commune_organisation_name("Le Havre") == "Commune du Havre"
    assert commune_organisation_name("Les Andelys") == "Commune des Andelys"
    assert commune_organisation_name("La Rochelle") == "Commune de La Rochelle"
    assert commune_organisation_name("L’Isle-Adam") == "Commune de L’Isle-Adam"
    assert commune_organisation_name("Lesparre-Médoc") == "Commune de Lesparre-Médoc"
