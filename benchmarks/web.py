"""Web benchmark: the board's routes through the server against two references, one run.

Starts `jobboard serve` (one worker, SQLite in a temporary data directory, demo offers loaded,
search index built) and, beside it, a bare Starlette app (one worker too) serving the board's
own `/offres` page as a string captured once (the reference page: the same bytes without any
work) and a one-word plain-text endpoint. Each route is loaded with wrk (2 threads, 16
connections, `--seconds` each, 127.0.0.1 only) and the table gives requests per second, p50 and
p99 latency, and the ratio to the reference page.

Needs wrk: `apt-get install -y wrk`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_APP = textwrap.dedent(
    """
    import os
    from pathlib import Path
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    PAGE = Path(os.environ["REFERENCE_PAGE"]).read_text(encoding="utf-8")

    async def page(request):
        return HTMLResponse(PAGE)

    async def bare(request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/page", page), Route("/bare", bare)])
    """
)


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


def wrk(url: str, seconds: int, headers: dict[str, str]) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, non-2xx/3xx responses) for one route."""
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def latency(percentile: str) -> float:
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return rate, latency("50"), latency("99"), int(errors.group(1)) if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="load time per route")
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
            routes = [
                ("page de référence (statique)", f"{ref}/page", {}),
                ("Starlette nu (texte)", f"{ref}/bare", {}),
                ("/", f"{base}/", {}),
                ("/offres", f"{base}/offres", {}),
                ("/offres?q=patrimoine", f"{base}/offres?q=patrimoine", {}),
                ("/offres?q=patrimoine (htmx)", f"{base}/offres?q=patrimoine", htmx),
                ("/offres?q=patrimoin (faute)", f"{base}/offres?q=patrimoinne", {}),
                ("page d’une offre", f"{base}{offer.group(1)}", {}),
                ("/sante", f"{base}/sante", {}),
            ]
            print(
                f"wrk -t2 -c16 -d{args.seconds}s, un worker par serveur, 127.0.0.1"
                f" ({os.cpu_count()} cœurs partagés avec wrk)"
            )
            header = f"  {'route':<30} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× réf.':>7}"
            print(header + f" {'erreurs':>8}")
            print("  " + "-" * (len(header) + 7))
            reference_rate = 0.0
            for name, url, headers in routes:
                rate, p50, p99, errors = wrk(url, args.seconds, headers)
                reference_rate = reference_rate or rate
                print(
                    f"  {name:<30} {rate:>8,.0f} {p50:>8.1f} {p99:>8.1f}"
                    f" {rate / reference_rate:>7.2f} {errors:>8}"
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
