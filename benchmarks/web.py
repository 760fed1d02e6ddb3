"""Web benchmark: the board's routes through the server against two references, one run.

Starts `jobboard serve` (one worker, SQLite in a temporary data directory, demo offers loaded,
search index built) and, beside it, a bare Starlette app (one worker too) serving: the reference
page, the board's own `/offres` page captured once and made a Jinja template whose 20 offer
cards are a loop over 20 offers (a static 20-offer Jinja page, rendered on every request); the
same bytes as a string (no work at all); a one-word plain-text endpoint. Each route is loaded
with wrk (2 threads, 16 connections, `--seconds` each, 127.0.0.1 only) in `--rounds` slices,
each followed by a slice of the reference page (the machine's speed drifts within a run: each
ratio is taken over the reference's own slices), and the table gives requests per second, p50
and p99 latency, and the ratio to the reference page.

The board keeps the pages it rendered for visitors without a session (`jobboard.web.page_cache`),
so a route asked again and again is mostly answered from there; the « frappe » routes send the
searches of someone typing (every prefix of the demo offers' 320 most frequent words, three
sort orders, four kinds of offer, each address once in a run), which the board has to render.

Needs wrk: `apt-get install -y wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unicodedata
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_APP = textwrap.dedent(
    """
    import os
    from pathlib import Path
    import jinja2
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    PAGE = Path(os.environ["REFERENCE_PAGE"]).read_text(encoding="utf-8")
    # The same page as a Jinja template: its offer cards are a loop over 20 offers.
    start = PAGE.index('<div class="offer-list">')
    end = PAGE.index('<nav role="navigation" class="fr-pagination')
    CARD = '''
    <div class="fr-card fr-enlarge-link fr-card--horizontal offer-card">
     <div class="fr-card__body"><div class="fr-card__content">
      <h3 class="fr-card__title"><a href="/offres/{{ o.id }}">{{ o.title }}</a></h3>
      <p class="fr-card__desc">{{ o.excerpt }}</p>
      <div class="fr-card__start"><ul class="fr-tags-group">
       {% for t in o.tags %}<li><p class="fr-tag fr-tag--sm">{{ t }}</p></li>{% endfor %}
      </ul></div>
      <div class="fr-card__end"><p class="fr-card__detail">{{ o.commune }} · 12 mois
       · candidater avant le {{ o.deadline }}</p></div></div>
     <div class="fr-card__footer">
      <a class="fr-btn fr-btn--sm" href="/offres/{{ o.id }}/candidater">Postuler</a></div>
    </div></div>'''
    TEMPLATE = jinja2.Environment(autoescape=True).from_string(
        "{% raw %}" + PAGE[:start] + '{% endraw %}<div class="offer-list">{% for o in offers %}'
        + CARD + "{% endfor %}</div>{% raw %}" + PAGE[end:] + "{% endraw %}"
    )
    OFFERS = [
        {
            "id": i,
            "title": f"VTA – Chargé(e) de mission revitalisation du centre-bourg n° {i}",
            "excerpt": "La commune accueille un volontaire pour son opération de revitalisation"
            " du territoire : diagnostic des commerces, habitat, espaces publics… " * 2,
            "tags": ["VTA", "Revitalisation du centre-bourg", "Commerce"],
            "commune": "Villeneuve-sur-Lot (Lot-et-Garonne, 47)",
            "deadline": "15 janvier 2027",
        }
        for i in range(20)
    ]

    async def page(request):
        return HTMLResponse(PAGE)

    async def jinja_page(request):
        return HTMLResponse(TEMPLATE.render(offers=OFFERS))

    async def bare(request):
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/page", page), Route("/jinja", jinja_page), Route("/bare", bare)]
    )
    """
)
# Searches as typed: every prefix (three letters or more) of the demo offers' most frequent
# words, each in the three sort orders and for each kind of offer and none. Two lists, one per
# « frappe » route, their words apart: each route meets its words for the first time.
TYPED_WORDS = 320
TYPED_SCRIPT = """
local paths = {%s}
local threads = 0
function setup(thread)
  thread:set("number", threads)
  threads = threads + 1
end
-- Each thread of each slice (its number and the number of slices are the script's arguments)
-- takes its own part of the list: no address is asked twice in a run, so no page kept by the
-- board answers.
function init(args)
  local slice, slices = tonumber(args[1] or "0"), tonumber(args[2] or "1")
  span = math.floor(#paths / (2 * slices))
  start = (2 * slice + number) * span
end
local i = 0
function request()
  i = i + 1
  return wrk.format("GET", paths[((start + i - 1) %% #paths) + 1], HEADERS)
end
"""


def typed_words(count: int = TYPED_WORDS) -> list[str]:
    """The demo offers' most frequent words of 6 to 12 letters, without accents, most
    frequent first (as typed: « amenagement »)."""
    offers = json.loads((ROOT / "fixtures" / "demo_offers.json").read_text(encoding="utf-8"))
    counted: Counter[str] = Counter()
    for offer in offers:
        text = " ".join(str(offer.get(k, "")) for k in ("title", "description", "missions"))
        text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
        counted.update(w for w in re.findall(r"[a-z]+", text) if 6 <= len(w) <= 12)
    return [word for word, _n in counted.most_common(count)]


def typed_paths() -> tuple[list[str], list[str]]:
    """Two lists of addresses, every prefix of a word in one list only (the words taken in
    turn by each list)."""
    lists: tuple[list[str], list[str]] = ([], [])
    seen: set[str] = set()
    for number, word in enumerate(typed_words()):
        for size in range(3, len(word) + 1):
            prefix = word[:size]
            if prefix in seen:
                continue
            seen.add(prefix)
            lists[number % 2].extend(
                f"/offres?q={prefix}&type={kind}&tri={sort}"
                for sort in ("pertinence", "date", "echeance")
                for kind in ("", "vta", "chef_de_projet", "vta_expertise")
            )
    return lists


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except OSError as exc:
        status = getattr(exc, "code", 0)
        return int(status), ""


def wait_for(url: str, limit: float) -> None:
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if get(url)[0] == 200:
            return
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer 200 within {limit:.0f} s")


def wrk(
    url: str,
    seconds: float,
    headers: dict[str, str],
    script: Path | None = None,
    slice_: int = 0,
    slices: int = 1,
) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, non-2xx/3xx responses) for one route."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds:g}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script), "--", str(slice_), str(slices)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, latency("50"), latency("99"), int(errors.group(1)) if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=6, help="load time per route")
    parser.add_argument(
        "--rounds", type=int, default=3, help="slices per route, each beside one of the reference"
    )
    parser.add_argument(
        "--only", default="", help="only the routes whose name holds this text (and the reference)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk est introuvable : apt-get install -y wrk", file=sys.stderr)
        return 2
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-web-") as work:
        data = Path(work) / "data"
        app_port, reference_port = free_port(), free_port()
        env = dict(os.environ, JOBBOARD_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
        env.pop("JOBBOARD_DATABASE_URL", None)
        log = open(Path(work) / "serve.log", "w")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [str(Path(python).parent / "jobboard"), "serve", "--port", str(app_port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        reference = None
        try:
            base = f"http://127.0.0.1:{app_port}"
            wait_for(f"{base}/sante", 300)
            status, board = get(f"{base}/offres")
            offer = re.search(r'href="(/offres/\d+[^"]*)"', board)
            assert status == 200 and offer, "the board did not list an offer"
            page = Path(work) / "page.html"
            page.write_text(board, encoding="utf-8")
            (Path(work) / "reference.py").write_text(REFERENCE_APP)
            reference = subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "reference:app",
                    "--port",
                    str(reference_port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                cwd=work,
                env=dict(env, PYTHONPATH=work, REFERENCE_PAGE=str(page)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            ref = f"http://127.0.0.1:{reference_port}"
            wait_for(f"{ref}/bare", 30)
            # uvicorn's access log costs the board's server too: the same for both.
            htmx = {"HX-Request": "true"}
            typed = typed_paths()
            scripts = {}
            spans = {}
            for paths, (name, headers) in zip(
                typed, (("typed", {}), ("typed-htmx", {"HX-Request": "true"})), strict=True
            ):
                lua = ", ".join(f'"{path}"' for path in paths)
                table = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"
                scripts[name] = Path(work) / f"{name}.lua"
                scripts[name].write_text(
                    TYPED_SCRIPT.replace("HEADERS", table) % lua, encoding="utf-8"
                )
                spans[scripts[name]] = len(paths) // (2 * max(1, args.rounds))
            routes: list[tuple[str, str, dict[str, str], Path | None]] = [
                ("page de référence (Jinja, 20 offres)", f"{ref}/jinja", {}, None),
                ("même page, chaîne statique", f"{ref}/page", {}, None),
                ("Starlette nu (texte)", f"{ref}/bare", {}, None),
                ("/", f"{base}/", {}, None),
                ("/offres", f"{base}/offres", {}, None),
                ("/offres?q=patrimoine", f"{base}/offres?q=patrimoine", {}, None),
                ("/offres?q=patrimoine (htmx)", f"{base}/offres?q=patrimoine", htmx, None),
                ("/offres?q=patrimoin (faute)", f"{base}/offres?q=patrimoinne", {}, None),
                (f"frappe, {len(typed[0]):,} adresses", base, {}, scripts["typed"]),
                (f"frappe, {len(typed[1]):,} adr. (htmx)", base, {}, scripts["typed-htmx"]),
                ("page d’une offre", f"{base}{offer.group(1)}", {}, None),
                ("/sante", f"{base}/sante", {}, None),
            ]
            routes = [routes[0]] + [r for r in routes[1:] if args.only in r[0]]
            rounds = max(1, args.rounds)
            print(
                f"wrk -t2 -c16, {args.seconds} s par route en {rounds} tranches, chacune suivie"
                " d'une tranche de la page de référence (le rapport est pris sur les mêmes"
                f" tranches) ; un worker par serveur, 127.0.0.1 ({os.cpu_count()} cœurs"
                " partagés avec wrk)"
            )
            header = f"  {'route':<38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× réf.':>7}"
            print(header + f" {'réf. req/s':>11} {'erreurs':>8}")
            print("  " + "-" * (len(header) + 20))
            reference_url = routes[0][1]
            for name, url, headers, script in routes:
                # The machine's speed drifts within a run: each route is timed in slices, each
                # slice beside a slice of the reference, and compared with those slices only.
                slices = []
                for slice_ in range(rounds):
                    measured = wrk(url, args.seconds / rounds, headers, script, slice_, rounds)
                    if (
                        script is not None
                        and measured[0] * args.seconds / rounds / 2 > spans[script]
                    ):
                        print(
                            f"  ({name} : plus de requêtes par fil que d’adresses, {spans[script]})"
                        )
                    reference_rate = wrk(reference_url, args.seconds / rounds, {})[0]
                    slices.append((measured, reference_rate))
                rate = sum(m[0] for m, _ in slices) / rounds
                reference_rate = sum(r for _, r in slices) / rounds
                p50 = sorted(m[1] for m, _ in slices)[rounds // 2]
                p99 = max(m[2] for m, _ in slices)
                errors = sum(m[3] for m, _ in slices)
                print(
                    f"  {name:<38} {rate:>8,.0f} {p50:>8.1f} {p99:>8.1f}"
                    f" {rate / reference_rate:>7.2f} {reference_rate:>11,.0f} {errors:>8}"
                )
        finally:
            for process in (server, reference):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
            log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
