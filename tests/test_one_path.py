"""No offer or application state is written outside its one path (read from the source).

Every status, version, journal row and search change of an offer is written by
`services/offer_transitions.transition_offer`, and every application status and log row by
`services/applications.transition_application`. This test parses every module of `jobboard/`
and lists the writes found anywhere else.
"""

from __future__ import annotations

import ast
import re

from jobboard import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "jobboard"
ALLOWED = {
    ("services/offer_transitions.py", "transition_offer"),
    ("services/applications.py", "transition_application"),
    # Anonymisation blanks the history's comments: no status, date or row changes (0011).
    ("services/applications.py", "erase_log_comments"),
}
STATEFUL = {"Offer", "Application"}  # models whose state has one path
LOGS = {"OfferEvent", "ApplicationEvent", "SearchChange"}  # written by those paths only
STATE_COLUMNS = {"status", "version", "submitted_at", "published_at", "closed_at"}
WRITES = {"create", "bulk_create", "update", "get_or_create", "update_or_create"}
RAW_SQL = re.compile(
    r"\b(update|insert\s+into|delete\s+from)\s+\"?(offer|application|offer_event|"
    r"application_event|search_change)\b",
    re.IGNORECASE,
)


def _root(node: ast.expr) -> str:
    """The name a call chain starts from: `Offer` in `Offer.filter(id=1).update(...)`."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return ""


def _writes(tree: ast.AST) -> list[tuple[str, int, str]]:
    """(function, line, what) for each state write in a module."""
    found: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in STATE_COLUMNS:
                    found.append((function, node.lineno, f".{target.attr} ="))
        if isinstance(node, ast.Call):
            func = node.func
            # `**columns` may carry any column: counted as a state column.
            keywords = {k.arg or "status" for k in node.keywords}
            root = _root(func)
            if (
                isinstance(func, ast.Name)
                and func.id == "setattr"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and node.args[1].value in STATE_COLUMNS
            ):
                found.append((function, node.lineno, f"setattr(…, {node.args[1].value!r})"))
            if isinstance(func, ast.Attribute) and func.attr == "update_from_dict":
                found.append((function, node.lineno, "update_from_dict"))
            if isinstance(func, ast.Name) and (
                func.id in LOGS or (func.id in STATEFUL and keywords & STATE_COLUMNS)
            ):  # an unsaved Offer(…) handed to its path is fine, not one with a status
                found.append((function, node.lineno, f"{func.id}(…)"))
            elif isinstance(func, ast.Attribute):
                if (
                    (root in LOGS and func.attr in WRITES)
                    or (
                        root in LOGS - {"SearchChange"}
                        and func.attr == "delete"  # pruned, not logs
                    )
                    or (root in STATEFUL and func.attr in {"create", "bulk_create"})
                ):
                    found.append((function, node.lineno, f"{root}.{func.attr}"))
                elif root in STATEFUL and func.attr in WRITES and keywords & STATE_COLUMNS:
                    found.append((function, node.lineno, f"{root}….{func.attr}(status…)"))
                elif func.attr == "save" and any(
                    isinstance(c, ast.Constant) and c.value in STATE_COLUMNS
                    for k in node.keywords
                    if k.arg == "update_fields"
                    for c in ast.walk(k.value)
                ):
                    found.append((function, node.lineno, "save(update_fields=[status…])"))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and RAW_SQL.search(node.value)
        ):
            found.append((function, node.lineno, "raw SQL"))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "")
    return found


def test_the_finder_sees_every_kind_of_write() -> None:
    source = """
async def elsewhere(offer, application):
    offer.status = "published"
    await Offer.filter(id=1).update(status="closed")
    await Application.filter(id=1).update(status="obsolete", updated_at=None)
    await Offer.create(title="x")
    await OfferEvent.create(offer=offer)
    await ApplicationEvent.create(application=application)
    await SearchChange.create(offer_id=1)
    await offer.save(update_fields=["version"])
    await conn.execute_script('UPDATE "application" SET status = 1')
    await ApplicationEvent(application=application).save()
    await Application(offer_id=1, status="accepted").save()
    setattr(offer, "version", 3)
    await Offer.filter(id=1).update(**columns)
    offer.update_from_dict({"status": "closed"})
    await OfferEvent.filter(offer_id=1).delete()
    await Offer.filter(id=1).update(deadline_reminder_sent_at=None)  # not a state column
    await offer.save(update_fields=["themes"])
    await transition_offer(Offer(title="x"), "create", None)
    setattr(offer, name, value)  # a name not known here: the path's own loop
"""
    assert [line for _, line, _ in _writes(ast.parse(source))] == list(range(3, 18))


def test_no_state_is_written_outside_its_one_path() -> None:
    outside: list[str] = []
    inside: set[tuple[str, str]] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("migrations/"):
            continue  # schema changes, not application state
        for function, line, what in _writes(ast.parse(path.read_text(encoding="utf-8"))):
            if (relative, function) in ALLOWED:
                inside.add((relative, function))
            else:
                outside.append(f"jobboard/{relative}:{line} in {function or 'module'}: {what}")
    assert outside == []
    assert inside == ALLOWED  # the paths themselves still write (the test is looking)
