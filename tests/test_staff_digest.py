"""The daily digest to staff of what waits in their territory for more than 3 working days."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import time_machine

from jobboard import clock
from jobboard.clock import PARIS
from jobboard.models import EmailOutbox, Offer, User
from jobboard.services.offer_import import import_offers
from jobboard.services.staff_digest import send_staff_digests
from jobboard.settings import Settings
from tests.conftest import make_user, offer_row

# Thursday 1 and Friday 2 April 2027, 9 h in Paris; Monday 29 March is Easter Monday.
THURSDAY = datetime(2027, 4, 1, 9, tzinfo=PARIS)
FRIDAY = datetime(2027, 4, 2, 9, tzinfo=PARIS)
SUBMITTED = datetime(2027, 3, 26, 10, tzinfo=PARIS)  # the Friday before Easter
S = "\u202f"


async def _submitted_in(insee: str, title: str, at: datetime) -> Offer:
    result = await import_offers(
        [offer_row(title=title, employer_insee=insee, status="submitted")], today=clock.today()
    )
    assert not result.errors, result.errors
    await Offer.filter(id=result.created[0]).update(submitted_at=at)
    return await Offer.get(id=result.created[0])


async def _digests() -> dict[str, EmailOutbox]:
    rows = await EmailOutbox.filter(subject__startswith="Modération").order_by("id")
    found = {row.to: row for row in rows}
    assert len(found) == len(rows), "two digests to one address"
    return found


async def test_each_staff_member_gets_one_digest_of_their_territory(
    db: None, settings: Settings
) -> None:
    offer = await _submitted_in("05050", "VTA – Espinasses", SUBMITTED)
    await _submitted_in(
        "05050", "VTA – Espinasses, tout juste soumise", FRIDAY - timedelta(hours=1)
    )
    await make_user("recruiter", "rh@thizy.fr", commune="69248", verification="pending",
                    full_name="Inès Thizy", email_confirmed_at=SUBMITTED)  # fmt: skip
    await make_user("staff", "alpes@anct.example", full_name="Claire Alpes", territory="d:05")
    await make_user("staff", "national@anct.example", full_name="Nora Nationale")
    await make_user("staff", "aura@anct.example", territory="r:84")
    await make_user("staff", "lot@anct.example", territory="d:47")  # nothing waits there
    await make_user("staff", "parti@anct.example", is_active=False)

    assert await send_staff_digests(settings, FRIDAY) == 3
    digests = await _digests()
    assert set(digests) == {"alpes@anct.example", "national@anct.example", "aura@anct.example"}

    alpes = digests["alpes@anct.example"]
    assert alpes.subject == f"Modération{S}: 1 demande attend depuis plus de 3 jours ouvrés"
    assert "Dans votre territoire (Hautes-Alpes (05))" in alpes.body_text
    assert "VTA – Espinasses (Commune d’Espinasses, Espinasses), soumise le 26 mars 2027" in (
        alpes.body_text
    )
    assert f"http://testserver/moderation/offres/{offer.id}" in alpes.body_text
    assert "http://testserver/moderation\n" in alpes.body_text
    assert "tout juste soumise" not in alpes.body_text and "Inès Thizy" not in alpes.body_text
    assert 'href="http://testserver/moderation"' in alpes.body_html

    national = digests["national@anct.example"]
    assert national.subject.startswith(f"Modération{S}: 2 demandes attendent")
    assert "Sur tout le territoire national" in national.body_text
    assert "VTA – Espinasses" in national.body_text and "Inès Thizy" in national.body_text
    assert "http://testserver/moderation/comptes" in national.body_text

    aura = digests["aura@anct.example"]
    assert "Inès Thizy" in aura.body_text and "VTA – Espinasses" not in aura.body_text
    assert (await User.get(email="alpes@anct.example")).staff_digest_on == FRIDAY.date()
    assert (await User.get(email="lot@anct.example")).staff_digest_on is None


async def test_not_twice_the_same_day_even_from_two_hosts(db: None, settings: Settings) -> None:
    await _submitted_in("05050", "VTA – Espinasses", SUBMITTED)
    await make_user("staff", "national@anct.example")
    assert await send_staff_digests(settings, FRIDAY) == 1
    assert await send_staff_digests(settings, FRIDAY + timedelta(hours=5)) == 0
    assert len(await _digests()) == 1
    # The next working day (Monday 5 April) it goes again; two rounds at once send one.
    monday = FRIDAY + timedelta(days=3)
    assert sum(await asyncio.gather(*(send_staff_digests(settings, monday) for _ in range(2)))) == 1
    assert await EmailOutbox.filter(to="national@anct.example").count() == 2


async def test_none_when_nothing_waits_nor_on_a_weekend_or_before_seven(
    db: None,
    settings: Settings,
) -> None:
    await make_user("staff", "national@anct.example")
    assert await send_staff_digests(settings, FRIDAY) == 0
    await _submitted_in("05050", "VTA – Espinasses", SUBMITTED)
    await make_user(
        "recruiter", "rh@thizy.fr", commune="69248", verification="pending", email_confirmed_at=None
    )  # staff cannot verify it yet: it waits for nobody
    saturday = FRIDAY + timedelta(days=1)  # fmt: skip
    assert await send_staff_digests(settings, saturday) == 0
    assert await send_staff_digests(settings, FRIDAY.replace(hour=6, minute=59)) == 0
    assert await EmailOutbox.filter(subject__startswith="Modération").count() == 0
    assert (await User.get(email="national@anct.example")).staff_digest_on is None
    assert await send_staff_digests(settings, FRIDAY) == 1
    digest = (await _digests())["national@anct.example"]
    assert digest.subject.startswith(f"Modération{S}: 1 demande attend")
    assert "compte" not in digest.body_text.split("Ce récapitulatif")[0]


async def test_three_working_days_across_easter_monday_are_not_more_than_three(
    db: None,
    settings: Settings,
) -> None:
    """Submitted on Friday before Easter: by Thursday it has waited Tuesday, Wednesday and
    Thursday (Easter Monday is a holiday), by Friday four working days."""
    await _submitted_in("47106", "VTA – Fumel", SUBMITTED)
    await make_user("staff", "lot@anct.example", territory="d:47")
    with time_machine.travel(THURSDAY, tick=False):
        assert await send_staff_digests(settings) == 0
    with time_machine.travel(FRIDAY, tick=False):
        assert await send_staff_digests(settings) == 1
    assert "VTA – Fumel" in (await _digests())["lot@anct.example"].body_text
