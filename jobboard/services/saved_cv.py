"""A candidate's « CV enregistré »: upload, replace and delete, with the checks and the storage
of an application's CV (jobboard.services.applications). One per account; applying with it
copies the CV (`applications.apply(saved_cv=…)`), so changing it never changes an
application. An account deletion calls `delete_saved_cv`."""

from __future__ import annotations

from typing import IO, Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from jobboard.clock import now
from jobboard.domain.errors import Refused
from jobboard.models import SavedCV, User
from jobboard.services import pdf_check
from jobboard.services.applications import remove_cv, store_cv
from jobboard.settings import Settings

FIELD = "saved_cv"  # the form field (and id) errors are shown on


async def saved_cv_of(user: User) -> SavedCV | None:
    return await SavedCV.get_or_none(user_id=user.id)


async def save_cv(user: User, source: IO[bytes], filename: str, settings: Settings) -> SavedCV:
    """Check and store `source` as the user's saved CV, replacing the previous one (whose file
    is removed once the new row is committed). Refused on `saved_cv`: nothing changed."""
    try:
        await pdf_check.check_cv(source, settings.cv_max_bytes)
    except pdf_check.CVRefused as refused:
        raise Refused(refused.message, FIELD) from None
    source.seek(0, 2)
    size = source.tell()
    stored = await store_cv(source, filename, settings)
    replaced = ""
    try:
        async with in_transaction():
            saved = await SavedCV.select_for_update().get_or_none(user_id=user.id)
            fields: dict[str, Any] = {
                "cv_path": stored.key,
                "cv_sha256": stored.sha256,
                "cv_filename": stored.filename,
                "size_bytes": size,
                "uploaded_at": now(),
            }
            if saved is None:
                try:
                    async with in_transaction():  # a savepoint: PostgreSQL needs one after it
                        saved = await SavedCV.create(user_id=user.id, **fields)
                except IntegrityError:  # a concurrent upload created it first
                    raise Refused(
                        "Un autre envoi de CV vient d’aboutir. Rechargez la page.", FIELD
                    ) from None
            else:
                replaced = saved.cv_path
                await SavedCV.filter(id=saved.id).update(**fields)
                saved = await SavedCV.get(id=saved.id)
    except BaseException:
        await remove_cv(stored.key, settings)  # shielded: also when the request is cancelled
        raise
    await remove_cv(replaced, settings)
    return saved


async def delete_saved_cv(user: User, settings: Settings) -> bool:
    """Delete the user's saved CV, row then file; False when there was none. Applications
    made with it keep their own copy."""
    async with in_transaction():
        saved = await SavedCV.select_for_update().get_or_none(user_id=user.id)
        if saved is None:
            return False
        await saved.delete()
    await remove_cv(saved.cv_path, settings)
    return True
