"""End-to-end fixtures: a real `jobboard serve` with demo data, driven by headless Chromium.

Playwright's sync API is used, so tests here must be plain (non-async) functions:
pytest-asyncio's auto mode leaves them alone and no event loop is running.
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from pypdf import PdfWriter

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic"]
STARTUP_TIMEOUT = 90.0
AXE_CACHE_DIR = Path(tempfile.gettempdir()) / "jobboard-e2e-axe-core-4"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"critical", "serious"}

# Injected before any page script (DevTools protocol, so the CSP does not apply to it): every
# Content-Security-Policy violation of the page lands in window.cspViolations.
CSP_RECORDER = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""

# The machine may be busy (two cores, other jobs): give htmx swaps and debounces room.
expect.set_options(timeout=10_000)

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


def pytest_collection_finish(session: pytest.Session) -> None:
    """The server runs in another process on the host's clock: a moved clock here would fill
    its forms with another day's dates. Refuse rather than test something else."""
    if os.environ.get("JOBBOARD_TEST_NOW") and any(
        _HERE in Path(str(item.path)).parents for item in session.items
    ):
        raise pytest.UsageError(
            "JOBBOARD_TEST_NOW moves only this process's clock: deselect the browser tests "
            '(-m "not e2e") or unset it'
        )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve_command() -> list[str]:
    probe = subprocess.run(
        [sys.executable, "-m", "jobboard.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if probe.returncode == 0 and "serve" in probe.stdout:
        return [sys.executable, "-m", "jobboard.cli"]
    script = Path(sys.executable).with_name("jobboard")
    if not script.exists():
        pytest.fail(
            f"Neither `python -m jobboard.cli` nor {script} can start the app:\n{probe.stderr}"
        )
    return [str(script)]


def _is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="session")
def live_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobboard-data")


@pytest.fixture(scope="session")
def live_server(live_data_dir: Path) -> Iterator[str]:
    """Base URL of a `jobboard serve` (with demo data) on a fresh SQLite data dir."""
    data_dir = live_data_dir
    log_path = data_dir / "server.log"
    port = _free_port()
    env = dict(os.environ)
    env.pop("JOBBOARD_DATABASE_URL", None)
    env["JOBBOARD_DATA_DIR"] = str(data_dir)
    env["PYTHONUNBUFFERED"] = "1"
    # Each browser context comes from its own address (X-Forwarded-For, see `browser`), as
    # real people do, so the per-address signup limit counts people, not the whole suite.
    env["JOBBOARD_TRUSTED_PROXIES"] = "127.0.0.1"
    command = [*_serve_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    base_url = f"http://127.0.0.1:{port}"

    def server_output() -> str:
        return log_path.read_text(encoding="utf-8", errors="replace")[-5000:]

    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _is_up(f"{base_url}/sante"):
                if process.poll() is not None:
                    pytest.fail(
                        f"jobboard serve exited with code {process.returncode}:\n{server_output()}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"jobboard serve not ready on {base_url}/sante after "
                        f"{STARTUP_TIMEOUT:.0f} s:\n{server_output()}"
                    )
                time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


class _OnePersonPerContext:
    """The Chromium browser, each of whose contexts reaches the server from its own address."""

    def __init__(self, browser: Browser) -> None:
        self._browser = browser
        self._addresses = itertools.count(1)

    def new_context(self, **options: Any) -> BrowserContext:
        number = next(self._addresses)
        headers = {"X-Forwarded-For": f"10.0.{number // 250}.{number % 250 + 1}"}
        headers.update(options.pop("extra_http_headers", None) or {})
        return self._browser.new_context(extra_http_headers=headers, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing (install Debian's chromium; no browser download).")
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield cast(Browser, _OnePersonPerContext(browser))
    browser.close()


def _is_favicon_noise(text: str, url: str) -> bool:
    return "favicon" in text.lower() or "favicon" in url.lower()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh context and page per test; `page.console_errors` lists console/page errors."""
    context = browser.new_context(base_url=live_server, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        url = str((message.location or {}).get("url", ""))
        if not _is_favicon_noise(text, url):
            errors.append(f"{text} ({url})" if url else text)

    def on_page_error(error: Exception) -> None:
        errors.append(f"uncaught: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.console_errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def demo_passwords(live_server: str, live_data_dir: Path) -> dict[str, str]:
    """E-mail → password of the demo accounts `serve` created (data/demo-comptes.txt)."""
    lines = (live_data_dir / "demo-comptes.txt").read_text(encoding="utf-8").splitlines()[1:]
    return {parts[1]: parts[2] for parts in (line.split() for line in lines) if len(parts) == 3}


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("vous êtes connecté(e)")).to_be_visible()


def pick(page: Page, control: Locator) -> None:
    """Click a DSFR radio or checkbox through its label, as a user does (the label covers it)."""
    page.locator(f'label[for="{control.get_attribute("id")}"]').click()
    expect(control).to_be_checked()


def open_filters(page: Page) -> None:
    """Unfold the board's filters behind « Filtrer » (they are open without JavaScript; the
    button shows once DSFR's script runs, which the click waits for)."""
    toggle = page.locator(".board-filter-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#filtres-panneau")).to_be_visible()


def screenshot(page: Page, name: str) -> None:
    """Full-page screenshot into $JOBBOARD_E2E_SCREENSHOTS when set (to look at, not to diff)."""
    directory = os.environ.get("JOBBOARD_E2E_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"), full_page=True)


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page of a browser with JavaScript turned off (the plain-HTML path)."""
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core 4 (axe.min.js), fetched once with `npm pack` and kept in the temp dir."""
    cached = AXE_CACHE_DIR / "axe.min.js"
    if not cached.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to fetch axe-core (`npm pack axe-core@4`) but is missing.")
        with tempfile.TemporaryDirectory(prefix="axe-pack-") as work:
            packed = subprocess.run(
                [npm, "pack", "axe-core@4", "--silent"],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            tarballs = list(Path(work).glob("axe-core-*.tgz"))
            if packed.returncode != 0 or not tarballs:
                pytest.fail(f"`npm pack axe-core@4` failed:\n{packed.stdout}\n{packed.stderr}")
            with tarfile.open(tarballs[0]) as archive:
                member = archive.extractfile("package/axe.min.js")
                if member is None:
                    pytest.fail("axe.min.js missing from the axe-core tarball")
                source = member.read()
        AXE_CACHE_DIR.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(source)
        partial.replace(cached)
    return cached.read_text(encoding="utf-8")


@pytest.fixture
def blocking_axe_violations(axe_source: str) -> Callable[[Page], list[dict[str, Any]]]:
    """Runs axe-core (WCAG 2.1 A/AA) on the page as it is now; returns serious/critical ones."""

    def run(page: Page) -> list[dict[str, Any]]:
        # Injected through the DevTools protocol: the CSP forbids add_script_tag.
        page.evaluate(axe_source)
        result: dict[str, Any] = page.evaluate(
            """async (tags) => {
                const results = await axe.run(document, {runOnly: tags});
                return {violations: results.violations.map((v) => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map((n) => ({
                        target: n.target, html: n.html, summary: n.failureSummary,
                    })),
                }))};
            }""",
            AXE_TAGS,
        )
        return [v for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS]

    return run


def blank_pdf() -> bytes:
    """A one-page PDF, as a candidate's CV."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


WIDTHS = (1280, 390)


def check_both_widths(page: Page, axe: Callable[[Page], list[dict[str, Any]]], name: str) -> None:
    """axe finds nothing blocking and nothing scrolls sideways, at 1280 and 390 px (with a
    screenshot of each when $JOBBOARD_E2E_SCREENSHOTS is set)."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert axe(page) == [], f"{name} at {width} px"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"
        screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
