"""The vendored front-end files cover what the templates use."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DSFR = ROOT / "static" / "vendor" / "dsfr"
# The size modifiers (fr-icon--sm, …) are not icons.
_ICON = re.compile(r"\bfr-icon-(?!-)[a-z0-9-]+")


def _icons_used() -> set[str]:
    used: set[str] = set()
    for template in (ROOT / "templates").rglob("*.html"):
        used.update(_ICON.findall(template.read_text(encoding="utf-8")))
    return used


def _stylesheets() -> list[Path]:
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'<link rel="stylesheet" href="/static/vendor/dsfr/([^"]+)"', base)
    return [DSFR / href for href in hrefs]


def test_the_templates_use_icons() -> None:
    # Guards the check below against a pattern that silently matches nothing.
    assert "fr-icon-download-line" in _icons_used()


def test_every_icon_used_in_a_template_is_shipped() -> None:
    css = "".join(sheet.read_text(encoding="utf-8") for sheet in _stylesheets())
    for icon in sorted(_icons_used()):
        rule = re.search(rf"\.{re.escape(icon)}:before[^{{]*\{{([^}}]*)\}}", css)
        assert rule, f"{icon}: no rule in the stylesheets base.html links"
        images = re.findall(r"url\(([^)]+)\)", rule.group(1))
        assert images, f"{icon}: its rule names no image"
        for image in images:
            assert (DSFR / image).is_file(), f"{icon}: {image} is not vendored"


# A path a docstring or comment names, relative to the repository root.
_REPO_PATH = re.compile(
    r"\b(?:research|docs|tests|fixtures|scripts)/[\w./-]*\w\.(?:md|py|json|csv|sh)\b"
)


def test_files_named_in_the_code_are_in_the_repository() -> None:
    named = {
        (source.relative_to(ROOT), path)
        for source in (ROOT / "jobboard").rglob("*.py")
        for path in _REPO_PATH.findall(source.read_text(encoding="utf-8"))
    }
    assert named  # the pattern finds something (tests/test_relevance.py, at least)
    assert [(str(s), p) for s, p in sorted(named) if not (ROOT / p).exists()] == []
