"""The `jobboard` command: serve, migrate, import reference data and offers."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import logging.config
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import anyio
import uvicorn
from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn
from tortoise import Tortoise

from jobboard import mail, metrics
from jobboard.clock import today
from jobboard.db import is_unavailable, migrate
from jobboard.domain.account import Role
from jobboard.domain.password import password_problem
from jobboard.domain.staff_territory import TerritoryErrors, parse_territory
from jobboard.models import EmailOutbox, User
from jobboard.passwords import hash_password
from jobboard.search.indexer import Indexer
from jobboard.search.searcher import IndexUnavailable, SearchService
from jobboard.search.store import IndexStore
from jobboard.services import (
    account_deletion,
    accounts,
    alerts,
    cv_move,
    demo,
    expiry,
    purge,
    reference,
    staff_digest,
    staff_territory,
)
from jobboard.services.offer_import import import_offers
from jobboard.services.visibility import visible_offers
from jobboard.settings import (
    CV_STORAGES,
    DEFAULT_HOST,
    DEFAULT_PORT,
    Settings,
    local_base_url,
    tortoise_config,
)
from jobboard.web.observability import log_config

DEMO_ACCOUNTS_FILE = "demo-comptes.txt"


def _with_db(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    async def run() -> int:
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            return await work()
        finally:
            await Tortoise.close_connections()

    return asyncio.run(run())


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(migrate(settings.database_url))
    print("Base de données à jour.")
    return 0


def cmd_import_communes(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        count = await reference.import_communes(Path(args.dir or settings.fixtures_dir))
        print(f"{count} communes importées.")
        return 0

    return _with_db(settings, work)


def _print_report(report: reference.ImportReport, what: str) -> int:
    print(f"{report.loaded} communes mises à jour ({what}).")
    if report.unknown:
        print(
            f"{len(report.unknown)} codes INSEE inconnus ignorés : {', '.join(report.unknown[:20])}"
        )
    for error in report.errors:
        print(f"erreur : {error}", file=sys.stderr)
    return 1 if report.errors else 0


def cmd_import_pvd(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        return _print_report(
            await reference.import_pvd(Path(args.file)), "Petites villes de demain"
        )

    return _with_db(settings, work)


def cmd_import_density(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        return _print_report(await reference.import_density(Path(args.file)), "grille de densité")

    return _with_db(settings, work)


def cmd_import_offers(settings: Settings, args: argparse.Namespace) -> int:
    try:
        rows: Any = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"Fichier illisible : {exc}", file=sys.stderr)
        return 2

    async def work() -> int:
        result = await import_offers(rows, today=today(), skip_invalid=args.skip_invalid)
        for error in result.errors:
            print(f"erreur : {error}", file=sys.stderr)
        if result.errors and not args.skip_invalid:
            print("Aucune offre importée : corrigez les erreurs ou utilisez --skip-invalid.")
            return 1
        print(f"{len(result.created)} offres importées, {result.skipped} ignorées.")
        return 0

    return _with_db(settings, work)


def cmd_load_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Reference data + demo offers + demo accounts, only into an empty database."""
    cmd_migrate(settings, args)

    async def work() -> int:
        accounts = await demo.ensure_demo(settings.fixtures_dir, today())
        _announce_demo_accounts(settings, accounts)
        return 0

    return _with_db(settings, work)


def _announce_demo_accounts(settings: Settings, accounts: Sequence[demo.DemoAccount]) -> None:
    path = settings.data_dir / DEMO_ACCOUNTS_FILE
    if accounts:
        lines = [f"{a.role:<10} {a.email:<32} {a.password}" for a in accounts]
        path.write_text(
            "Comptes de démonstration (rôle, adresse, mot de passe)\n" + "\n".join(lines) + "\n"
        )
        path.chmod(0o600)
    if path.exists():
        print(path.read_text(), end="")
        print(f"(conservés dans {path})")


def _indexer(settings: Settings) -> Indexer:
    return Indexer(IndexStore(settings.index_dir), visible_offers, replica=settings.index_replica)


def cmd_reindex(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        total = await visible_offers().count()
        columns = (
            *Progress.get_default_columns()[:-1],
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=False) as progress:
            task = progress.add_task("Indexation des offres publiées", total=total)
            count = await _indexer(settings).rebuild(lambda: progress.advance(task))
        print(f"{count} offres indexées.")
        return 0

    return _with_db(settings, work)


def cmd_check_index(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        check = await _indexer(settings).check()
        if check.clean:
            print("Index à jour : toutes les offres publiées y sont, et seulement elles.")
            return 0
        if check.missing:
            print(f"{len(check.missing)} offres manquantes : {_ids(check.missing)}")
        if check.extra:
            print(f"{len(check.extra)} offres en trop : {_ids(check.extra)}")
        return 1

    return _with_db(settings, work)


def _ids(values: Sequence[int]) -> str:
    shown = ", ".join(map(str, values[:30]))
    return shown + (" …" if len(values) > 30 else "")


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """Background loops for a production host whose web workers run with --workers N."""

    if settings.log_format == "json":
        logging.config.dictConfig(log_config(_log_level(settings)))

    async def work() -> int:
        indexer = _indexer(settings)
        async with anyio.create_task_group() as loops:
            loops.start_soon(_stop_on_signal, loops.cancel_scope)
            # The indexer loop builds a missing index first (one builder per directory).
            loops.start_soon(indexer.run_forever)
            loops.start_soon(mail.run_forever, settings)
            loops.start_soon(expiry.run_forever, settings)
            loops.start_soon(purge.run_forever, settings)
            loops.start_soon(alerts.run_forever, settings, SearchService(indexer.store))
            loops.start_soon(staff_digest.run_forever, settings)
        return 0

    try:
        return _with_db(settings, work)
    except KeyboardInterrupt:
        return 0


async def _stop_on_signal(scope: anyio.CancelScope) -> None:
    """SIGTERM or SIGINT ends the loops cleanly (a rebuild stops after its current chunk)."""
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return


def _log_level(settings: Settings) -> str:
    return "DEBUG" if settings.debug else "INFO"


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For / -Proto only from JOBBOARD_TRUSTED_PROXIES.

    uvicorn's own default trusts loopback, which lets any local process pick its address and
    slip past the per-IP limits.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.workers > 1 and settings.is_sqlite:
        print(
            "Plusieurs workers demandent PostgreSQL (JOBBOARD_DATABASE_URL) : SQLite n’accepte "
            "qu’un processus écrivain.",
            file=sys.stderr,
        )
        return 2
    if args.workers > 1 and not settings.redis_url:
        print(
            "Attention : sans JOBBOARD_REDIS_URL, chaque worker compte ses propres tentatives de "
            "connexion ; les limites anti-force brute sont multipliées par le nombre de workers.",
            file=sys.stderr,
        )
    cmd_migrate(settings, args)
    if not args.no_demo:
        cmd_load_demo(settings, args)
    if args.no_background:
        os.environ["JOBBOARD_BACKGROUND"] = "worker"  # read by each web worker's create_app
    if args.no_background or settings.background == "worker":
        print("Tâches de fond (index, e-mails, expiration) : lancez `jobboard worker` à côté.")
    address = local_base_url(args.host, args.port)
    # The app is built by uvicorn from the environment: links in e-mails point where we listen.
    os.environ.setdefault("JOBBOARD_BASE_URL", address)
    print(f"Bourse PVD : {address}")
    # The app's own notices (search index, e-mails written to files) beside uvicorn's lines;
    # the libraries' loggers stay quiet.
    level = _log_level(settings)
    logging_options: dict[str, Any] = {}
    if settings.log_format == "json":
        logging_options = {"log_config": log_config(level), "access_log": False}
    else:
        notices = logging.StreamHandler()
        notices.setFormatter(logging.Formatter("%(levelname)s:  %(message)s"))
        app_log = logging.getLogger("jobboard")
        app_log.addHandler(notices)
        app_log.setLevel(level)
    if args.workers > 1 and not os.environ.get(metrics.MULTIPROCESS_DIR):
        # Each web worker is a process: /metriques adds up what all of them counted.
        metrics.prepare_directory(settings.data_dir / "metriques")
        os.environ[metrics.MULTIPROCESS_DIR] = str(settings.data_dir / "metriques")
    uvicorn.run(
        "jobboard.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        **proxy_options(settings),
        **logging_options,
        server_header=False,
        log_level=level.lower(),
    )
    return 0


def cmd_create_staff(settings: Settings, args: argparse.Namespace) -> int:
    """Create (or promote nothing: refuse) an ANCT staff account."""
    email = accounts.normalise_email(args.email)
    if problem := accounts.email_problem(email):
        print(f"Adresse e-mail invalide : {problem}", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Confirmez le mot de passe : ") != password:
            print("Les deux mots de passe diffèrent.", file=sys.stderr)
            return 2
    full_name = " ".join((args.name or "").split()) or email.split("@")[0]
    if problem := password_problem(password, email=email, full_name=full_name):
        print(problem, file=sys.stderr)
        return 2

    async def work() -> int:
        if await User.filter(email=email).exists():
            print(f"Un compte existe déjà avec l’adresse {email}.", file=sys.stderr)
            return 1
        names = await staff_territory.reference()
        territory = parse_territory(args.territory, args.regions, names.departements, names.regions)
        if isinstance(territory, TerritoryErrors):
            for message in territory.errors.values():
                print(message, file=sys.stderr)
            if not names.departements:
                print(
                    "Le référentiel géographique est vide : lancez d’abord "
                    "`jobboard import-communes`.",
                    file=sys.stderr,
                )
            return 2
        await User.create(
            email=email, full_name=full_name, role=Role.STAFF,
            password_hash=hash_password(password), territory=territory.stored(),
        )  # fmt: skip
        print(f"Compte ANCT créé : {email} ; territoire : {names.describe(territory)}")
        return 0

    return _with_db(settings, work)


def cmd_expire(settings: Settings, args: argparse.Namespace) -> int:
    """Expire offers past their deadline and send the 7-day reminders; safe to run often."""

    async def work() -> int:
        report = await expiry.run_expiry(settings)
        print(
            f"{report.expired} offre(s) expirée(s), {report.obsolete_applications} "
            f"candidature(s) devenue(s) sans objet, {report.reminders} rappel(s) envoyé(s), "
            f"{report.saved_reminders} rappel(s) d’offre sauvegardée, "
            f"{report.sessions} session(s) expirée(s) supprimée(s)."
        )
        return 0

    return _with_db(settings, work)


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    """Apply the retention rules (domain/retention.py) once; --dry-run only counts."""

    async def work() -> int:
        report = await purge.purge(settings, dry_run=args.dry_run)
        for line in report.lines():
            print(line)
        return 0

    return _with_db(settings, work)


def cmd_move_cvs(settings: Settings, args: argparse.Namespace) -> int:
    """Move every CV into one backend of the CV store, checking each; safe to run again."""

    async def work() -> int:
        report = await cv_move.move_cvs(settings, args.to)
        for line in report.lines():
            print(line)
        if settings.cv_backend != args.to:
            print(
                f"Les nouveaux CV vont encore vers « {settings.cv_backend} » : réglez "
                f"JOBBOARD_CV_STORAGE={args.to}."
            )
        return 1 if report.unreadable else 0

    return _with_db(settings, work)


def cmd_delete_staff(settings: Settings, args: argparse.Namespace) -> int:
    """Remove an ANCT staff account; the journal keeps its decisions without its name."""
    email = accounts.normalise_email(args.email)

    async def work() -> int:
        if not await account_deletion.delete_staff(email, settings):
            print(f"Aucun compte de l’équipe ANCT avec l’adresse {email}.", file=sys.stderr)
            return 1
        print(f"Compte de l’équipe ANCT supprimé : {email}")
        return 0

    return _with_db(settings, work)


def cmd_send_alerts(settings: Settings, args: argparse.Namespace) -> int:
    """Queue the digests of the alerts that are due (once per day or ISO week); --dry-run
    only counts. The outbox sends them (`send-emails`, or the loop of serve / worker)."""

    async def work() -> int:
        search = SearchService(IndexStore(settings.index_dir))
        try:
            report = await alerts.send_alerts(settings, search, dry_run=args.dry_run)
        except IndexUnavailable:
            print("Pas encore d’index de recherche : lancez `jobboard reindex`.", file=sys.stderr)
            return 1
        finally:
            search.close()
        print(report.line())
        return 0

    return _with_db(settings, work)


def cmd_send_emails(settings: Settings, args: argparse.Namespace) -> int:
    """Send what is due in the outbox, once, or forever with --boucle."""

    async def work() -> int:
        if args.loop:
            await mail.run_forever(settings)
            return 0
        backend = mail.backend_for(settings)
        sent, failed = await mail.send_pending(backend, settings.email_from, limit=10_000)
        waiting = await EmailOutbox.filter(status="pending").count()
        print(f"{sent} e-mail(s) envoyé(s), {failed} échec(s) ; {waiting} en attente.")
        return 1 if failed else 0

    try:
        return _with_db(settings, work)
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobboard", description="Bourse PVD : offres de chef de projet PVD et de VTA."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    serve = sub.add_parser(
        "serve", help="migre, charge la démo au premier lancement, puis sert le site"
    )
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=1, help="plus d’un worker demande PostgreSQL")
    serve.add_argument(
        "--no-demo", action="store_true", help="ne charge pas les données de démonstration"
    )
    serve.add_argument(
        "--no-background",
        action="store_true",
        help="les workers web ne lancent pas les tâches de fond : `jobboard worker` s’en charge "
        "(équivaut à JOBBOARD_BACKGROUND=worker)",
    )
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="applique les migrations de la base de données").set_defaults(
        func=cmd_migrate
    )

    communes = sub.add_parser(
        "import-communes", help="importe communes, EPCI, départements et régions"
    )
    communes.add_argument(
        "--dir", default=None, help="dossier des fichiers CSV (par défaut : fixtures/ du projet)"
    )
    communes.set_defaults(func=cmd_import_communes)

    pvd = sub.add_parser("import-pvd", help="importe la liste Petites villes de demain (CSV)")
    pvd.add_argument("file")
    pvd.set_defaults(func=cmd_import_pvd)

    density = sub.add_parser(
        "import-density", help="importe la grille communale de densité de l’INSEE (CSV)"
    )
    density.add_argument("file")
    density.set_defaults(func=cmd_import_density)

    offers = sub.add_parser(
        "import-offers", help="importe des offres d’un fichier JSON, tout ou rien"
    )
    offers.add_argument("file")
    offers.add_argument(
        "--skip-invalid", action="store_true", help="n’importe que les offres valides"
    )
    offers.set_defaults(func=cmd_import_offers)

    sub.add_parser(
        "reindex", help="reconstruit l’index de recherche depuis la base et le remplace"
    ).set_defaults(func=cmd_reindex)
    sub.add_parser(
        "check-index", help="compare l’index de recherche à la base (code 1 si écart)"
    ).set_defaults(func=cmd_check_index)
    sub.add_parser(
        "worker",
        help="tâches de fond (indexation, e-mails, expiration) pour un hôte servi par plusieurs "
        "workers",
    ).set_defaults(func=cmd_worker)
    staff = sub.add_parser("create-staff", help="crée un compte de l’équipe ANCT (modération)")
    staff.add_argument("email")
    staff.add_argument("--nom", dest="name", default="", help="prénom et nom affichés")
    staff.add_argument(
        "--password-stdin", action="store_true", help="lit le mot de passe sur l’entrée standard"
    )
    staff.add_argument(
        "--territoire",
        dest="territory",
        default="",
        metavar="DÉPARTEMENTS",
        help="codes des départements suivis, séparés par des virgules (ex. 76,31,2A) ; sans "
        "territoire ni région, le compte est national",
    )
    staff.add_argument(
        "--regions",
        default="",
        metavar="RÉGIONS",
        help="codes INSEE des régions suivies, séparés par des virgules (ex. 84 pour "
        "Auvergne-Rhône-Alpes) : les codes de région et de département se recoupent, d’où "
        "deux options",
    )
    staff.set_defaults(func=cmd_create_staff)
    sub.add_parser(
        "expire",
        help="expire les offres dont la date limite est passée, envoie les rappels, supprime les "
        "sessions expirées",
    ).set_defaults(func=cmd_expire)
    purging = sub.add_parser(
        "purge",
        help="applique les durées de conservation des données personnelles (à lancer chaque "
        "jour ; serve et worker le font)",
    )
    purging.add_argument(
        "--dry-run", action="store_true", help="compte ce qui serait supprimé, sans rien modifier"
    )
    purging.set_defaults(func=cmd_purge)
    moving = sub.add_parser(
        "move-cvs",
        help="déplace tous les CV vers un stockage (dossier local ou base de données) en "
        "vérifiant chacun ; relançable après une interruption",
    )
    moving.add_argument("--to", required=True, choices=CV_STORAGES, help="stockage de destination")
    moving.set_defaults(func=cmd_move_cvs)
    delete_staff = sub.add_parser("delete-staff", help="supprime un compte de l’équipe ANCT")
    delete_staff.add_argument("email")
    delete_staff.set_defaults(func=cmd_delete_staff)
    sending = sub.add_parser(
        "send-alerts",
        help="met en file les e-mails des alertes dues (une fois par jour ou par semaine ; serve "
        "et worker le font)",
    )
    sending.add_argument(
        "--dry-run", action="store_true", help="compte ce qui serait envoyé, sans rien modifier"
    )
    sending.set_defaults(func=cmd_send_alerts)
    emails = sub.add_parser("send-emails", help="envoie les e-mails en attente (boîte d’envoi)")
    emails.add_argument(
        "--boucle", dest="loop", action="store_true", help="continue d’envoyer jusqu’à Ctrl+C"
    )
    emails.set_defaults(func=cmd_send_emails)
    sub.add_parser(
        "load-demo", help="charge référentiels, offres et comptes de démo dans une base vide"
    ).set_defaults(func=cmd_load_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        result: int = args.func(settings, args)
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        # One line an operator can act on, not a traceback through asyncpg or aiosqlite.
        print(
            f"Base de données injoignable ({exc}) : vérifiez JOBBOARD_DATABASE_URL et que le "
            "serveur de base de données est démarré.",
            file=sys.stderr,
        )
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
