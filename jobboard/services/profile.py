"""A user's own profile: name, birth date and diploma level, and a change of e-mail address.

A new address takes effect only once the link sent to it has been followed: until then the old
one stays the account's address (sign-in, messages). The link is signed and names the user, the
old address and the new one, so it is void once the address has changed (used, or overtaken by
another change), and no pending row is stored. The old address is told when the change is made.
Every refusal is a FormInvalid with a French message per field, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from itsdangerous import BadSignature, URLSafeTimedSerializer
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.domain.account import Role
from jobboard.domain.diploma import DIPLOMA_LEVELS
from jobboard.domain.parsing import parse_int
from jobboard.mail import queue_email
from jobboard.models import User
from jobboard.passwords import verify_password_async
from jobboard.services.accounts import (
    FormInvalid,
    email_problem,
    full_name_problem,
    normalise_email,
    parse_birth_date,
)
from jobboard.settings import Settings

EMAIL_CHANGE_MAX_AGE = 24 * 3600  # seconds
EMAIL_TAKEN = "Cette adresse est déjà celle d’un autre compte. Choisissez-en une autre."
DIPLOMA_OFF_SCALE = "Choisissez un niveau de la liste (nomenclature de 2019, niveaux 3 à 8)."


@dataclass(frozen=True)
class ProfileForm:
    FIELDS: ClassVar[tuple[str, ...]] = ("full_name", "birth_date", "diploma_level")

    full_name: str = ""
    birth_date: str = ""
    diploma_level: str = ""

    @classmethod
    def of(cls, user: User) -> ProfileForm:
        return cls(
            full_name=user.full_name,
            birth_date=user.birth_date.isoformat() if user.birth_date else "",
            diploma_level=str(user.diploma_level) if user.diploma_level is not None else "",
        )


async def update_profile(user: User, form: ProfileForm, today: date) -> None:
    """Name for everyone; birth date and diploma level for candidates, with signup's rules.
    Applications keep the values declared when they were sent."""
    errors: dict[str, str] = {}
    full_name = " ".join(form.full_name.split())
    if problem := full_name_problem(full_name):
        errors["full_name"] = problem
    fields = ["full_name"]
    birth_date, diploma = user.birth_date, user.diploma_level
    if user.role == Role.CANDIDATE:
        birth_date, problem = parse_birth_date(form.birth_date.strip(), today)
        if problem:
            errors["birth_date"] = problem
        diploma = parse_int(form.diploma_level.strip())
        if diploma not in DIPLOMA_LEVELS:
            errors["diploma_level"] = DIPLOMA_OFF_SCALE
        fields += ["birth_date", "diploma_level"]
    if errors:
        raise FormInvalid(errors)
    user.full_name, user.birth_date, user.diploma_level = full_name, birth_date, diploma
    await user.save(update_fields=fields)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="bourse-pvd.email-change")


def email_change_link(user: User, new_email: str, settings: Settings) -> str:
    token = _serializer(settings).dumps([user.id, user.email, new_email])
    return f"{settings.base_url}/espace/compte/adresse/confirmer?jeton={token}"


async def request_email_change(
    user: User, new_email: str, password: str, settings: Settings
) -> str:
    """Check the new address and the current password, then e-mail the link to the new
    address; the account is not changed. Returns the normalised new address."""
    new_email = normalise_email(new_email)[:254]
    errors: dict[str, str] = {}
    if problem := email_problem(new_email):
        errors["new_email"] = problem
    elif new_email == user.email:
        errors["new_email"] = "C’est déjà l’adresse de votre compte."
    elif await User.filter(email=new_email).exists():
        errors["new_email"] = EMAIL_TAKEN
    if not password:
        errors["email_password"] = "Indiquez votre mot de passe actuel."  # noqa: S105
    elif not await verify_password_async(user.password_hash, password):
        errors["email_password"] = "Le mot de passe est incorrect."  # noqa: S105
    if errors:
        raise FormInvalid(errors)
    await queue_email(
        new_email,
        "email_change",
        {
            "user": user,
            "new_email": new_email,
            "link": email_change_link(user, new_email, settings),
            "hours": EMAIL_CHANGE_MAX_AGE // 3600,
        },
        settings,
    )
    return new_email


async def confirm_email_change(token: str, settings: Settings) -> User | None:
    """Make the change the link names; None when the link is forged, expired or already used
    (the account's address is no longer the one it was sent from). FormInvalid when the new
    address was taken by another account meanwhile (nothing changed)."""
    try:
        payload = _serializer(settings).loads(token, max_age=EMAIL_CHANGE_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, list) or len(payload) != 3:
        return None
    user_id, old_email, new_email = payload
    if not (isinstance(user_id, int) and isinstance(old_email, str) and isinstance(new_email, str)):
        return None
    async with in_transaction():
        user = await User.select_for_update().get_or_none(
            id=user_id, email=old_email, is_active=True
        )
        if user is None:
            return None
        if await User.filter(email=new_email).exists():
            raise FormInvalid({"new_email": EMAIL_TAKEN})
        moment = now()
        try:
            async with in_transaction():  # a savepoint: PostgreSQL needs one after the error
                await User.filter(id=user.id).update(email=new_email, email_confirmed_at=moment)
        except IntegrityError:  # another account took it between the check and the write
            raise FormInvalid({"new_email": EMAIL_TAKEN}) from None
        user.email, user.email_confirmed_at = new_email, moment
        await queue_email(
            old_email, "email_changed", {"user": user, "new_email": new_email}, settings
        )
    return user
