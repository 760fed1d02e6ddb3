"""Account use cases: signup, authentication, password reset and change, recruiter checks.

Validation returns French messages keyed by form field, so the page shows each next to its
field. Every e-mail is queued in the same transaction as the change that causes it.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.domain.account import Role, Verification
from jobboard.domain.diploma import DIPLOMA_LEVELS
from jobboard.domain.errors import NotFound
from jobboard.domain.parsing import age_on, is_email, parse_date, parse_int
from jobboard.domain.password import password_problem
from jobboard.mail import queue_email, render_email
from jobboard.models import Commune, Epci, Organisation, User
from jobboard.passwords import hash_password, hash_password_async, verify_password_async
from jobboard.services.territory import commune_organisation
from jobboard.settings import Settings

RESET_TOKEN_MAX_AGE = 3600  # seconds
MIN_AGE = 16


@functools.cache
def _dummy_hash() -> str:
    """A real argon2 hash verified when the e-mail is unknown, so both answers take as long.
    Made on first use: importing the module costs no argon2 round."""
    return hash_password("ce mot de passe ne correspond à aucun compte")


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class Signup:
    role: Role  # candidate or recruiter
    full_name: str = ""
    email: str = ""
    password: str = ""
    birth_date: str = ""
    diploma_level: str = ""
    collectivite: str = ""  # "commune:INSEE" or "epci:SIREN"
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, role: Role, form: Mapping[str, Any]) -> Signup:
        def text(name: str) -> str:
            value = form.get(name, "")
            return value.strip() if isinstance(value, str) else ""

        return cls(
            role=role,
            full_name=" ".join(text("full_name").split()),
            email=text("email").lower(),
            password=form.get("password", "") if isinstance(form.get("password"), str) else "",
            birth_date=text("birth_date"),
            diploma_level=text("diploma_level"),
            collectivite=text("collectivite"),
        )


def normalise_email(email: str) -> str:
    return email.strip().lower()


def full_name_problem(full_name: str) -> str | None:
    if not full_name:
        return "Indiquez vos prénom et nom."
    if len(full_name) > 150:
        return "150 caractères au maximum."
    return None


def email_problem(email: str) -> str | None:
    if not email:
        return "Indiquez votre adresse e-mail."
    if not is_email(email):
        return "Format attendu : nom@domaine.fr"
    return None


def parse_birth_date(value: str, today: date) -> tuple[date | None, str | None]:
    if not value:
        return None, "Indiquez votre date de naissance."
    parsed = parse_date(value)
    if parsed is None:
        return None, "Format attendu : JJ/MM/AAAA, par exemple 14/07/2001."
    if parsed > today:
        return None, "La date de naissance ne peut pas être dans le futur."
    if parsed.year < 1900:
        return None, "Vérifiez l’année de naissance."
    if age_on(parsed, today) < MIN_AGE:
        return None, f"Il faut avoir au moins {MIN_AGE} ans pour créer un compte."
    return parsed, None


async def _organisation(value: str) -> tuple[Organisation | None, str | None]:
    kind, _, code = value.partition(":")
    if not value:
        return None, "Choisissez votre collectivité dans la liste."
    if kind == "commune":
        commune = await Commune.get_or_none(insee=code)
        if commune is None:
            return None, f"Code INSEE inconnu : {code[:10]}. Choisissez la commune dans la liste."
        return await commune_organisation(commune), None
    if kind == "epci":
        epci = await Epci.get_or_none(siren=code)
        if epci is None:
            return (
                None,
                f"SIREN inconnu : {code[:12]}. Choisissez l’intercommunalité dans la liste.",
            )
        organisation, _ = await Organisation.get_or_create(
            kind="epci", epci=epci, defaults={"name": epci.name}
        )
        return organisation, None
    return None, "Choisissez votre collectivité dans la liste."


async def sign_up(signup: Signup, settings: Settings, today: date, *, next_path: str = "") -> User:
    """Create the account, or raise FormInvalid with a message per field (nothing written).

    `next_path` (a local path, already checked) rides in the confirmation link: following it
    brings the candidate back to where they were, in whichever browser or tab opens it."""
    errors: dict[str, str] = {}
    if problem := full_name_problem(signup.full_name):
        errors["full_name"] = problem
    if problem := email_problem(signup.email):
        errors["email"] = problem
    if problem := password_problem(signup.password, email=signup.email, full_name=signup.full_name):
        errors["password"] = problem
    birth_date: date | None = None
    diploma: int | None = None
    if signup.role == Role.CANDIDATE:
        birth_date, problem = parse_birth_date(signup.birth_date, today)
        if problem:
            errors["birth_date"] = problem
        if (level := parse_int(signup.diploma_level)) in DIPLOMA_LEVELS:
            diploma = level
        else:
            errors["diploma_level"] = "Choisissez votre plus haut niveau de diplôme."
    async with in_transaction():
        organisation: Organisation | None = None
        if signup.role == Role.RECRUITER:
            organisation, problem = await _organisation(signup.collectivite)
            if problem:
                errors["collectivite"] = problem
        if "email" not in errors and await User.filter(email=signup.email).exists():
            errors["email"] = _TAKEN
        if errors:
            raise FormInvalid(errors)
        password_hash = await hash_password_async(signup.password)
        try:
            async with in_transaction():  # a savepoint: PostgreSQL needs one after the error
                user = await User.create(
                    email=signup.email,
                    full_name=signup.full_name,
                    role=signup.role,
                    password_hash=password_hash,
                    organisation=organisation,
                    verification=(
                        Verification.PENDING if signup.role == Role.RECRUITER else Verification.NONE
                    ),
                    birth_date=birth_date,
                    diploma_level=diploma,
                )
        except IntegrityError:  # another signup with this address won the race
            raise FormInvalid({"email": _TAKEN}) from None
        await queue_email(
            user.email,
            "welcome_recruiter" if user.role == Role.RECRUITER else "welcome_candidate",
            {
                "user": user,
                "organisation": organisation,
                "link": confirmation_link(user, settings, next_path),
                "next_path": next_path,
            },
            settings,
        )
    return user


_TAKEN = (
    "Un compte existe déjà avec cette adresse. Connectez-vous ou utilisez « Mot de passe oublié »."
)


async def authenticate(email: str, password: str) -> User | None:
    user = await User.get_or_none(email=normalise_email(email))
    if user is None:
        await verify_password_async(_dummy_hash(), password)
        return None
    if not await verify_password_async(user.password_hash, password) or not user.is_active:
        return None
    return user


# Password reset: a signed, expiring token that names the user and a fingerprint of the current
# password hash and last login. Using it changes the hash, so it works once.


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="bourse-pvd.password-reset")


def _fingerprint(user: User) -> str:
    material = (
        f"{user.password_hash}|{user.last_login_at.isoformat() if user.last_login_at else ''}"
    )
    return hashlib.sha256(material.encode()).hexdigest()[:24]


def reset_token(user: User, settings: Settings) -> str:
    return _serializer(settings).dumps([user.id, _fingerprint(user)])


async def user_for_reset_token(token: str, settings: Settings) -> User | None:
    try:
        user_id, fingerprint = _serializer(settings).loads(token, max_age=RESET_TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    user = await User.get_or_none(id=user_id, is_active=True) if isinstance(user_id, int) else None
    if user is None or fingerprint != _fingerprint(user):
        return None
    return user


async def request_password_reset(email: str, settings: Settings) -> None:
    """Queue the reset e-mail if the account exists; the caller says the same thing either way."""
    user = await User.get_or_none(email=normalise_email(email), is_active=True)
    if user is None:
        # The same rendering work as for a real account, so timing does not tell them apart.
        render_email("password_reset", _reset_context(_NOBODY, "", settings))
        return
    link = f"{settings.base_url}/mot-de-passe-oublie/nouveau?jeton={reset_token(user, settings)}"
    await queue_email(user.email, "password_reset", _reset_context(user, link, settings), settings)


_NOBODY = User(email="", full_name="", role=Role.CANDIDATE, password_hash="")


def _reset_context(user: User, link: str, settings: Settings) -> dict[str, Any]:
    return {
        "user": user,
        "link": link,
        "minutes": RESET_TOKEN_MAX_AGE // 60,
        "base_url": settings.base_url,
    }


# E-mail confirmation: a signed link naming the user, the address it was sent to and, when the
# account was created on the way somewhere (an offer's apply form), that return path. The path
# is in the token rather than the session, so the link opened in another tab or browser still
# knows it; the web layer checks it again (`safe_next`) before redirecting.

CONFIRM_TOKEN_MAX_AGE = 7 * 24 * 3600


@dataclass(frozen=True)
class Confirmed:
    user: User
    next_path: str  # as signed into the link, "" when none; not yet checked as a local path


def _confirm_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="bourse-pvd.email-confirmation")


def confirmation_link(user: User, settings: Settings, next_path: str = "") -> str:
    payload: list[object] = [user.id, user.email]
    if next_path:
        payload.append(next_path)
    token = _confirm_serializer(settings).dumps(payload)
    return f"{settings.base_url}/inscription/confirmer?jeton={token}"


async def confirm_email(token: str, settings: Settings) -> Confirmed | None:
    """Mark the address confirmed; None if the link is forged, expired or for an old address.
    A second use of a valid link confirms nothing new and answers the same."""
    try:
        payload = _confirm_serializer(settings).loads(token, max_age=CONFIRM_TOKEN_MAX_AGE)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        return None
    user_id, email = payload[0], payload[1]
    next_path = payload[2] if len(payload) == 3 else ""
    if not isinstance(user_id, int) or not isinstance(email, str) or not isinstance(next_path, str):
        return None
    user = await User.get_or_none(id=user_id, email=email, is_active=True)
    if user is None:
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now()
        await user.save(update_fields=["email_confirmed_at"])
    return Confirmed(user, next_path)


async def resend_confirmation(user: User, settings: Settings, next_path: str = "") -> None:
    await queue_email(
        user.email,
        "email_confirmation",
        {
            "user": user,
            "link": confirmation_link(user, settings, next_path),
            "next_path": next_path,
        },
        settings,
    )


async def set_password(user: User, password: str, settings: Settings) -> None:
    """Store a new password (already validated) and tell the owner by e-mail."""
    password_hash = await hash_password_async(password)
    async with in_transaction():
        user.password_hash = password_hash
        await user.save(update_fields=["password_hash"])
        await queue_email(user.email, "password_changed", {"user": user}, settings)


async def change_password(user: User, current: str, new: str, settings: Settings) -> None:
    errors: dict[str, str] = {}
    if not await verify_password_async(user.password_hash, current):
        errors["current_password"] = "Le mot de passe actuel est incorrect."  # noqa: S105
    if problem := password_problem(new, email=user.email, full_name=user.full_name):
        errors["password"] = problem
    elif current == new:
        errors["password"] = "Choisissez un mot de passe différent de l’actuel."  # noqa: S105
    if errors:
        raise FormInvalid(errors)
    await set_password(user, new, settings)


# Recruiter verification by ANCT staff.


async def pending_recruiters(where: Q | None = None) -> list[User]:
    """Recruiter accounts waiting for staff, the oldest first; `where` narrows them (a staff
    member's territory, services/staff_territory.recruiter_q)."""
    return (
        await User.filter(where or Q(), role=Role.RECRUITER, verification=Verification.PENDING)
        .select_related("organisation__commune__departement", "organisation__epci")
        .order_by("created_at", "id")
    )


async def decide_recruiter(
    recruiter_id: int, staff: User, *, verify: bool, reason: str, settings: Settings
) -> User:
    """Verify or refuse a pending recruiter; a refusal needs a reason, which is e-mailed."""
    reason = reason.strip()
    if not verify and not reason:
        raise FormInvalid({"reason": "Indiquez le motif du refus : il sera envoyé au recruteur."})
    if len(reason) > 2000:
        raise FormInvalid({"reason": "2 000 caractères au maximum."})
    async with in_transaction():
        recruiter = await User.select_for_update().get_or_none(
            id=recruiter_id, role=Role.RECRUITER, verification=Verification.PENDING
        )
        if recruiter is None:
            raise NotFound()
        if verify and recruiter.email_confirmed_at is None:
            raise FormInvalid(
                {
                    "reason": "L’adresse e-mail de ce recruteur n’est pas encore confirmée : "
                    "attendez qu’il ait suivi le lien reçu, ou refusez le compte."
                }
            )
        recruiter.verification = Verification.VERIFIED if verify else Verification.REFUSED
        recruiter.verification_note = reason
        await recruiter.save(update_fields=["verification", "verification_note"])
        organisation = await Organisation.get(id=recruiter.organisation_id)
        await queue_email(
            recruiter.email,
            "recruiter_verified" if verify else "recruiter_refused",
            {"user": recruiter, "organisation": organisation, "reason": reason, "staff": staff},
            settings,
        )
    return recruiter


async def recently_decided_recruiters(limit: int = 20, where: Q | None = None) -> list[User]:
    """The last recruiter accounts staff verified or refused, the latest first."""
    return (
        await User.filter(
            where or Q(),
            role=Role.RECRUITER,
            verification__in=(Verification.VERIFIED, Verification.REFUSED),
        )
        .select_related("organisation")
        .order_by("-id")
        .limit(limit)
    )
