"""First-run set-up of an empty data dir: reference data, demo offers and demo accounts."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.domain.account import Role, Verification
from jobboard.domain.parsing import parse_iso_date
from jobboard.domain.staff_territory import StaffTerritory
from jobboard.models import Commune, Offer, User
from jobboard.passwords import hash_password
from jobboard.services.offer_import import ImportResult, import_offers
from jobboard.services.reference import import_communes, import_density, import_pvd
from jobboard.services.territory import commune_organisation

# The day demo_offers.json was written: its dates move forward by the time elapsed since, so
# the demo board always shows open offers.
DEMO_REFERENCE_DATE = date(2026, 11, 26)


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    password: str


async def ensure_reference_data(fixtures_dir: Path) -> bool:
    """Load the communes and the PVD/density samples when the database has none."""
    if await Commune.exists():
        return False
    await import_communes(fixtures_dir)
    await import_pvd(fixtures_dir / "pvd_sample.csv")
    await import_density(fixtures_dir / "density_sample.csv")
    return True


async def load_demo_offers(fixtures_dir: Path, today: date) -> ImportResult:
    rows = json.loads((fixtures_dir / "demo_offers.json").read_text(encoding="utf-8"))
    shift = max(0, (today - DEMO_REFERENCE_DATE).days)
    return await import_offers(rows, today=today, date_shift_days=shift)


async def load_demo_accounts(fixtures_dir: Path) -> list[DemoAccount]:
    """Create the demo accounts with fresh random passwords, returned once for printing."""
    entries = json.loads((fixtures_dir / "demo_accounts.json").read_text(encoding="utf-8"))
    accounts: list[DemoAccount] = []
    async with in_transaction():
        for entry in entries:
            password = secrets.token_urlsafe(12)
            organisation = None
            if entry.get("commune"):
                commune = await Commune.get(insee=entry["commune"])
                organisation = await commune_organisation(commune)
            await User.create(
                email=entry["email"].lower(),
                full_name=entry["full_name"],
                role=entry["role"],
                password_hash=hash_password(password),
                organisation=organisation,
                verification=(
                    Verification.VERIFIED if entry["role"] == Role.RECRUITER else Verification.NONE
                ),
                birth_date=parse_iso_date(entry.get("birth_date", "")),
                diploma_level=entry.get("diploma_level"),
                email_confirmed_at=now(),  # demo addresses cannot receive mail
                # A staff member who looks after a territory (tagged codes, « r:75 »).
                territory=StaffTerritory.from_stored(entry.get("territory", "")).stored(),
            )
            accounts.append(DemoAccount(entry["email"], entry["role"], password))
    return accounts


async def ensure_demo(fixtures_dir: Path, today: date) -> list[DemoAccount]:
    """Load reference data and the demo board into an empty database; no-op otherwise."""
    await ensure_reference_data(fixtures_dir)
    if await Offer.exists() or await User.exists():
        return []
    result = await load_demo_offers(fixtures_dir, today)
    if result.errors:
        raise RuntimeError("demo offers invalid: " + "; ".join(map(str, result.errors)))
    return await load_demo_accounts(fixtures_dir)
