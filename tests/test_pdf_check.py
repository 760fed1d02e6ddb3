"""The CV check: hostile PDFs (generated here, small) refused in a child process with limits."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from jobboard.services import pdf_check
from jobboard.services.pdf_check import PdfLimits, inspect, inspect_in_child
from tests import pdf_corpus

LIMITS = PdfLimits()


@pytest.mark.parametrize("name", sorted(pdf_corpus.ACTIVE))
def test_active_content_is_found(name: str) -> None:
    assert inspect(pdf_corpus.ACTIVE[name](), LIMITS) == "active"


def _ordinary_cv() -> bytes:
    """What a word processor writes: binary content (here with bytes that look like the start of
    a ZIP header by chance), a link, an open action that only shows the first page, metadata."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    noise = os.urandom(20_000) + b"PK\x03\x04\xff\xff" + b"<b>" + os.urandom(2_000)
    content = DecodedStreamObject()
    content.set_data(b"q 1 0 0 1 0 0 cm Q\n% " + noise)
    page[NameObject("/Contents")] = writer._add_object(content)
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(0)] * 4),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/URI"),
                    NameObject("/URI"): TextStringObject("https://example.fr/portfolio"),
                }
            ),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [page.indirect_reference, NameObject("/Fit")]
    )
    writer.add_metadata({"/Title": "CV de Léa Martin", "/Producer": "LibreOffice 7.5"})
    buffer = io.BytesIO()
    writer.write(buffer)
    data = buffer.getvalue()
    assert b"PK\x03\x04" in data
    return data


def test_an_ordinary_cv_passes() -> None:
    assert inspect(_ordinary_cv(), LIMITS) == "ok"
    assert inspect(pdf_corpus.simple_pdf(LIMITS.max_pages), LIMITS) == "ok"


def test_page_and_object_counts_are_capped() -> None:
    assert inspect(pdf_corpus.simple_pdf(LIMITS.max_pages + 1), LIMITS) == "pages"
    # 58,000 pages in 350 KB: one page object listed again and again, under a /Count of 1.
    assert inspect(pdf_corpus.many_pages(58_000), LIMITS) == "pages"
    assert inspect(pdf_corpus.many_objects(LIMITS.max_objects + 10), LIMITS) == "complex"


def test_a_page_tree_with_a_cycle_ends() -> None:
    looped = pdf_corpus.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
    )
    assert inspect(looped, LIMITS) == "ok"


def test_broken_and_encrypted_files_are_refused() -> None:
    assert inspect(b"%PDF-1.7\n" + b"\x00garbage" * 100, LIMITS) == "unreadable"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert inspect(buffer.getvalue(), LIMITS) == "encrypted"


async def test_the_child_process_gives_the_verdict() -> None:
    assert await inspect_in_child(pdf_corpus.simple_pdf(), LIMITS) == "ok"
    assert await inspect_in_child(pdf_corpus.with_launch(), LIMITS) == "active"


async def test_a_check_past_its_cpu_time_is_killed_and_refused() -> None:
    # 150,000 objects take pypdf seconds of CPU; with the object cap lifted, only the child's
    # CPU-time limit (1 s) stops it.
    heavy = pdf_corpus.many_objects(150_000)
    limits = PdfLimits(cpu_seconds=1, max_objects=10**7)
    assert await inspect_in_child(heavy, limits) == "complex"


async def test_a_check_past_its_wall_time_is_killed_and_refused() -> None:
    limits = PdfLimits(wall_seconds=0.01)  # less than an interpreter needs to start
    assert await inspect_in_child(pdf_corpus.simple_pdf(), limits) == "complex"
    # Nothing left running: the next check gets a slot and its own answer.
    assert await inspect_in_child(pdf_corpus.simple_pdf(), LIMITS) == "ok"


async def test_check_cv_messages() -> None:
    with pytest.raises(pdf_check.CVRefused, match="contenu actif"):
        await pdf_check.check_cv(io.BytesIO(pdf_corpus.zip_polyglot()), 5 * 1024 * 1024)
    with pytest.raises(pdf_check.CVRefused, match="30 pages"):
        await pdf_check.check_cv(io.BytesIO(pdf_corpus.many_pages(58_000)), 5 * 1024 * 1024)
    with pytest.raises(pdf_check.CVRefused, match="doit être un fichier PDF"):
        await pdf_check.check_cv(io.BytesIO(b"<html></html>"), 5 * 1024 * 1024)
    with pytest.raises(pdf_check.CVRefused, match="dépasse 1 Mo"):
        await pdf_check.check_cv(io.BytesIO(b"%PDF-" + b"0" * 2**20), 2**20)
