"""Checks an uploaded CV before it is stored: a readable PDF of at most 30 pages, without
active content, parsed in a child process whose CPU time and memory are capped.

A hostile PDF (hundreds of thousands of objects, a huge page tree, a compression bomb) can keep a
parser busy for seconds; in a child process it costs that process only, never the web worker's
event loop or its GIL, and the limits end it. The child is a fresh interpreter per check
(`python -m jobboard.services.pdf_check`): CPU-time limits count a process's whole life, so a
reused pool worker would wear its budget down. A check costs about 0.2 s, once per application.

Active content is refused: JavaScript (/JS, /JavaScript, /OpenAction or /AA actions), /Launch,
embedded files, rich media, XFA forms, and PDF+HTML or PDF+ZIP polyglots (a file that is also a
web page or an archive for another program).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import resource
import struct
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from typing import IO, Any

import anyio
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from jobboard.domain.application import looks_like_pdf

MAX_PAGES = 30
# A CV of 30 pages has a few thousand objects; far more is a crafted file (checking 20,000 takes
# about half a second of CPU).
MAX_OBJECTS = 20_000

ACTIVE_CONTENT = "Ce PDF contient du contenu actif ; enregistrez-le à nouveau en PDF simple."
UNREADABLE = "Ce PDF est illisible ou vide. Enregistrez-le à nouveau en PDF."
NOT_PDF = "Le CV doit être un fichier PDF."
EMPTY = "Le fichier est vide."
TOO_MANY_PAGES = f"Votre CV dépasse {MAX_PAGES} pages : envoyez une version plus courte."
TOO_COMPLEX = (
    "Ce PDF est trop complexe pour être vérifié. Enregistrez-le à nouveau en PDF simple, "
    f"de {MAX_PAGES} pages au plus."
)
ENCRYPTED = "Ce PDF est protégé par un mot de passe : enregistrez-le sans protection."
BUSY = "La vérification des CV est momentanément saturée. Réessayez dans une minute."

_MESSAGES = {
    "active": ACTIVE_CONTENT,
    "unreadable": UNREADABLE,
    "pages": TOO_MANY_PAGES,
    "complex": TOO_COMPLEX,
    "encrypted": ENCRYPTED,
}

# Names that make a viewer run, launch, play or unpack something (keys or name values).
_ACTIVE_NAMES = frozenset(
    {
        "/JS", "/JavaScript", "/AA", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/EF",
        "/RichMedia", "/RichMediaContent", "/RichMediaExecute", "/XFA", "/SubmitForm",
        "/ImportData", "/GoToE", "/Rendition", "/Movie", "/Sound",
    }
)  # fmt: skip
# HTML that a browser would run if it read the file as a page. Hex strings in PDF content
# (`<48656c>`) never start with these letters, and the patterns are long enough that compressed
# bytes do not produce them by chance.
_HTML = re.compile(
    rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>/]|script[\s>/]|iframe[\s>/]"
    rb"|svg[\s>/]|object[\s>/]|embed[\s>/]|meta[\s/]|a\s+href)",
    re.IGNORECASE,
)
_OBJ = re.compile(rb"\d+\s+\d+\s+obj\b")
_ZIP_LOCAL = re.compile(rb"PK\x03\x04")
_ZIP_METHODS = {0, 8, 9, 12, 14, 93, 95, 98}  # stored, deflate, deflate64, bzip2, lzma, zstd…


@dataclass(frozen=True)
class PdfLimits:
    """What one check may cost: CPU seconds and address space of the child, wall time."""

    cpu_seconds: int = 3
    memory_bytes: int = 768 * 1024 * 1024
    wall_seconds: float = 20.0
    max_pages: int = MAX_PAGES
    max_objects: int = MAX_OBJECTS
    concurrent: int = 2  # checks at once per web worker (the machine's cores)


class CVRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# The parent side: bounded child processes.

_slots: dict[int, anyio.CapacityLimiter] = {}


def _limiter(limits: PdfLimits) -> anyio.CapacityLimiter:
    limiter = _slots.get(limits.concurrent)
    if limiter is None:
        limiter = _slots[limits.concurrent] = anyio.CapacityLimiter(limits.concurrent)
    return limiter


async def check_cv(source: IO[bytes], max_bytes: int, limits: PdfLimits | None = None) -> None:
    """Raise CVRefused with a French message unless `source` is an acceptable CV."""
    limits = limits or PdfLimits()
    source.seek(0, io.SEEK_END)
    size = source.tell()
    source.seek(0)
    if size == 0:
        raise CVRefused(EMPTY)
    if size > max_bytes:
        raise CVRefused(f"Le CV dépasse {max_bytes // (1024 * 1024)} Mo.")
    data = source.read()
    source.seek(0)
    if not looks_like_pdf(data):
        raise CVRefused(NOT_PDF)
    verdict = await inspect_in_child(data, limits)
    if verdict != "ok":
        raise CVRefused(_MESSAGES.get(verdict, UNREADABLE))


async def inspect_in_child(data: bytes, limits: PdfLimits) -> str:
    """The child's verdict: ok, active, unreadable, pages, encrypted, or complex when it ran out
    of CPU time, memory or wall time (then it is killed)."""
    command = [sys.executable, "-I", "-m", __name__, json.dumps(asdict(limits))]
    async with _limiter(limits):
        process = await anyio.open_process(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        output = b""
        try:
            with anyio.move_on_after(limits.wall_seconds):
                assert process.stdin is not None and process.stdout is not None
                try:
                    await process.stdin.send(data)
                    await process.stdin.aclose()
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    pass  # the child stopped reading: it was killed by a limit
                async for chunk in process.stdout:
                    output += chunk
                await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                with anyio.CancelScope(shield=True):
                    await process.wait()
            await process.aclose()
    verdict = output.decode("ascii", "replace").strip()
    if process.returncode != 0 or verdict not in {"ok", *_MESSAGES}:
        return "complex"
    return verdict


# The child side: pure inspection, no I/O but stdin and stdout.


def inspect(data: bytes, limits: PdfLimits) -> str:
    """The verdict on one file, computed without any limit (the child process sets them)."""
    if not looks_like_pdf(data):
        return "unreadable"
    if _is_polyglot(data):
        return "active"
    for count, _ in enumerate(_OBJ.finditer(data), start=1):
        if count > limits.max_objects:
            return "complex"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return "encrypted"
        objects = sum(len(v) for v in reader.xref.values()) + len(reader.xref_objStm)
        if objects > limits.max_objects:
            return "complex"
        pages = _count_pages(reader, limits.max_pages)
        if pages == 0:
            return "unreadable"
        if pages > limits.max_pages:
            return "pages"
        if _has_active_content(reader):
            return "active"
    except FileNotDecryptedError:
        return "encrypted"
    except (MemoryError, RecursionError):
        return "complex"
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError):
        return "unreadable"
    except Exception:  # pypdf raises many other kinds of errors on broken files
        return "unreadable"
    return "ok"


def _is_polyglot(data: bytes) -> bool:
    """HTML a browser would run, or an archive another program would open."""
    if _HTML.search(data):
        return True
    with contextlib.suppress(Exception):  # a damaged record is not an archive anyone opens
        if zipfile.is_zipfile(io.BytesIO(data)):  # a valid end-of-central-directory record
            return True
    for match in _ZIP_LOCAL.finditer(data):
        header = data[match.start() : match.start() + 30]
        if len(header) < 30:
            break
        version, _, method = struct.unpack_from("<HHH", header, 4)
        name_length = struct.unpack_from("<H", header, 26)[0]
        name = data[match.start() + 30 : match.start() + 30 + name_length]
        # A real local file header: a known method and a printable file name.
        if (
            version <= 63
            and method in _ZIP_METHODS
            and 0 < name_length <= 512
            and len(name) == name_length
            and all(32 <= byte < 127 for byte in name)
        ):
            return True
    return False


def _count_pages(reader: Any, ceiling: int) -> int:
    """Leaves of the page tree, walked without trusting /Count, stopping past `ceiling` (a leaf
    listed twice is two pages to a viewer; a node seen twice is a cycle)."""
    root = reader.trailer["/Root"].get_object()
    stack = [root.get("/Pages")]
    seen: set[int] = set()
    pages = 0
    while stack:
        reference = stack.pop()
        node = reference.get_object() if reference is not None else None
        if not isinstance(node, DictionaryObject):
            continue
        kids = node.get("/Kids")
        if kids is None:
            pages += 1
            if pages > ceiling:
                break
            continue
        key = getattr(reference, "idnum", id(node))
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > ceiling * 10:
            return ceiling + 1  # a tree that deep or wide holds no 30-page CV
        kids = kids.get_object()
        if isinstance(kids, ArrayObject):
            stack.extend(reversed(kids))
    return pages


def _has_active_content(reader: Any) -> bool:
    """Any object (object streams included, names decoded) naming active content."""
    numbers = {(idnum, gen) for gen, entries in reader.xref.items() for idnum in entries}
    numbers.update((idnum, 0) for idnum in reader.xref_objStm)
    for idnum, gen in sorted(numbers):
        try:
            top = reader.get_object(IndirectObject(idnum, gen, reader))
        except Exception:  # noqa: S112 - an unreadable object is run by no viewer either
            continue
        stack = [top]
        while stack:
            value = stack.pop()
            if isinstance(value, NameObject):
                if str(value) in _ACTIVE_NAMES:
                    return True
            elif isinstance(value, DictionaryObject):
                for key, item in value.items():
                    if str(key) in _ACTIVE_NAMES:
                        return True
                    if not isinstance(item, IndirectObject):
                        stack.append(item)
            elif isinstance(value, ArrayObject):
                stack.extend(item for item in value if not isinstance(item, IndirectObject))
    return False


def _child_main() -> None:
    limits = PdfLimits(**json.loads(sys.argv[1]))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes no file
    data = sys.stdin.buffer.read()
    try:
        verdict = inspect(data, limits)
    except MemoryError:
        verdict = "complex"
    sys.stdout.write(verdict)
    sys.stdout.flush()


if __name__ == "__main__":
    _child_main()
