"""Finding a collectivité by name, postal code, INSEE code or SIREN."""

from __future__ import annotations

from jobboard.services.collectivites import Collectivite, Directory, fold, load_directory


def _commune(insee: str, name: str, dep: str, postal: str, population: int) -> Collectivite:
    return Collectivite(
        value=f"commune:{insee}",
        name=name,
        detail=f"{dep}, {postal}",
        folded=fold(name),
        codes=(insee, postal),
        population=population,
    )


DIRECTORY = Directory(
    [
        _commune("22203", "Plœuc-L’Hermitage", "Côtes-d’Armor (22)", "22150", 4000),
        _commune("05017", "La Bâtie-Neuve", "Hautes-Alpes (05)", "05230", 2500),
        _commune("42218", "Saint-Étienne", "Loire (42)", "42000", 170000),
        _commune("01001", "Sainte-Croix", "Ain (01)", "01120", 500),
        _commune("26001", "Sainte-Croix", "Drôme (26)", "26150", 100),
        Collectivite(
            "epci:200070035",
            "CA de l’Ouest Rhodanien",
            "intercommunalité, SIREN 200070035",
            fold("CA de l’Ouest Rhodanien"),
            ("200070035",),
            50000,
        ),
    ]
)


def test_fold_drops_accents_ligatures_and_punctuation() -> None:
    assert fold("Plœuc-L’Hermitage") == "ploeuc l hermitage"
    assert fold("St-Étienne") == "saint etienne"


def test_name_search_ignores_accents_case_and_hyphens() -> None:
    assert [c.value for c in DIRECTORY.search("ploeuc")] == ["commune:22203"]
    assert [c.value for c in DIRECTORY.search("la batie neuve")] == ["commune:05017"]
    assert [c.value for c in DIRECTORY.search("st etienne")] == ["commune:42218"]
    assert [c.value for c in DIRECTORY.search("HERMITAGE")] == ["commune:22203"]


def test_homonyms_both_listed_with_their_departement() -> None:
    hits = DIRECTORY.search("sainte-croix")
    assert [c.value for c in hits] == ["commune:01001", "commune:26001"]  # larger first
    assert hits[0].detail != hits[1].detail


def test_postal_code_insee_code_and_siren() -> None:
    assert [c.value for c in DIRECTORY.search("05230")] == ["commune:05017"]
    assert [c.value for c in DIRECTORY.search("050")] == ["commune:05017"]  # a prefix
    assert [c.value for c in DIRECTORY.search("22203")] == ["commune:22203"]
    assert [c.value for c in DIRECTORY.search("200 070 035")] == ["epci:200070035"]
    assert [c.value for c in DIRECTORY.search("ouest rhodanien")] == ["epci:200070035"]


def test_nothing_for_too_short_or_unknown_queries() -> None:
    assert DIRECTORY.search("") == [] and DIRECTORY.search("a") == []
    assert DIRECTORY.search("zzzz") == []


async def test_directory_loads_the_reference_communes(db: None) -> None:
    directory = await load_directory()
    [thizy] = directory.search("Thizy-les-Bourgs")
    assert (
        thizy.value == "commune:69248" and "Rhône (69)" in thizy.detail and "69240" in thizy.detail
    )
    corsica = directory.search("2A004")
    assert corsica and corsica[0].value == "commune:2A004"  # Ajaccio: INSEE codes are not numbers
    assert any(c.value.startswith("epci:") for c in directory.search("communaute"))
