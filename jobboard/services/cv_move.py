"""`jobboard move-cvs --to local|database`: every CV of the board moved into one backend of the
CV store, each one checked against its recorded SHA-256 on both sides.

One CV at a time: copy into the target, read the copy back and check it, point the row at the
copy (only if the row still points at the original), then remove the original. The site keeps
serving throughout (a key names its backend). Interrupted anywhere, nothing is lost: a copy no
row points to, or an original whose row moved on, is an orphan that the sweep removes an hour
later, and running the command again picks up where it stopped; CVs already in the target are
checked again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tortoise.models import Model

from jobboard.models import Application, SavedCV
from jobboard.services.cv_store import CVStore, CVUnreadable, cv_store
from jobboard.settings import Settings

# The rows that hold a CV, and how the report names one.
HOLDERS: tuple[tuple[type[Model], str], ...] = (
    (Application, "candidature"),
    (SavedCV, "CV enregistré"),
)


@dataclass
class MoveReport:
    moved: int = 0
    checked: int = 0  # already in the target, read and checked
    changed: int = 0  # the row changed meanwhile (anonymised, replaced): its copy removed
    unreadable: list[str] = field(default_factory=list)  # left where they are

    def lines(self) -> list[str]:
        lines = [
            f"{self.moved} CV déplacé(s) et vérifié(s)",
            f"{self.checked} CV déjà en place, vérifié(s)",
        ]
        if self.changed:
            lines.append(f"{self.changed} CV modifié(s) pendant le déplacement, laissé(s) tel(s)")
        if self.unreadable:
            lines.append(
                f"{len(self.unreadable)} CV illisible(s) ou endommagé(s), non déplacé(s) : "
                + ", ".join(self.unreadable)
            )
        return lines


async def move_cvs(settings: Settings, target: str) -> MoveReport:
    store = cv_store(settings)
    report = MoveReport()
    for model, label in HOLDERS:
        rows = (
            await model.exclude(cv_path="").order_by("id").values_list("id", "cv_path", "cv_sha256")
        )
        for row_id, key, sha256 in rows:
            try:
                await _move(store, model, row_id, key, sha256, target, report)
            except CVUnreadable:
                report.unreadable.append(f"{label} {row_id}")
    return report


async def _move(
    store: CVStore,
    model: type[Model],
    row_id: int,
    key: str,
    sha256: str,
    target: str,
    report: MoveReport,
) -> None:
    if store.backend_of(key).name == target:
        await store.verify(key, sha256)
        report.checked += 1
        return
    copy = await store.spooled(key, sha256)
    try:
        blob = await store.store(copy, backend=target)
    finally:
        copy.close()
    try:
        await store.verify(blob.key, sha256)  # the copy, read back from the target
    except CVUnreadable:
        await store.delete(blob.key)
        raise
    if not await model.filter(id=row_id, cv_path=key).update(cv_path=blob.key):
        await store.delete(blob.key)
        report.changed += 1
        return
    await store.delete(key)
    report.moved += 1
