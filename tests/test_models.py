"""Database constraints back the invariants, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from jobboard import clock
from jobboard.models import Application, Commune, Offer, Organisation, User
from jobboard.services.offer_import import import_offers
from tests.conftest import offer_row

ConstraintError = (IntegrityError, OperationalError)


async def _user(
    email: str, role: str = "candidate", organisation: Organisation | None = None
) -> User:
    return await User.create(
        email=email, full_name="Test", role=role, password_hash="x", organisation=organisation
    )


async def test_user_email_is_unique(db: None) -> None:
    await _user("a@example.fr")
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await _user("a@example.fr")


async def test_role_and_recruiter_organisation_are_checked(db: None) -> None:
    with pytest.raises(ConstraintError):
        async with in_transaction():
            await _user("b@example.fr", role="admin")
    with pytest.raises(ConstraintError):
        async with in_transaction():
            await _user("c@example.fr", role="recruiter")
    assert await User.all().count() == 0


async def test_offer_status_is_checked_and_application_is_unique(db: None) -> None:
    result = await import_offers([offer_row()], today=clock.today())
    offer = await Offer.get(id=result.created[0])
    with pytest.raises(ConstraintError):
        async with in_transaction():
            # Raw SQL: the ORM would refuse the value before the database sees it.
            await connections.get("default").execute_query(
                f"UPDATE offer SET status = 'bogus' WHERE id = {offer.id}"
            )
    candidate = await _user("d@example.fr")
    await Application.create(offer=offer, candidate=candidate)
    with pytest.raises(IntegrityError):
        async with in_transaction():
            await Application.create(offer=offer, candidate=candidate)
    assert await Application.all().count() == 1


async def test_density_level_is_bounded(db: None) -> None:
    with pytest.raises(ConstraintError):
        async with in_transaction():
            await Commune.filter(insee="05050").update(density_level=5)


async def test_an_organisation_is_a_commune_or_an_epci_never_both(db: None) -> None:
    commune = await Commune.get(insee="05050")
    with pytest.raises(ConstraintError):
        async with in_transaction():
            await Organisation.create(kind="epci", name="x", commune=commune)
