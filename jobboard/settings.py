"""Environment-driven configuration; every variable is listed in the README."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from limits import parse

from jobboard import PROJECT_ROOT
from jobboard.domain.accessibility import ACCESSIBILITY_STATEMENT_DATE

MODELS_MODULE = "jobboard.models"
SMTP_TLS_MODES = ("starttls", "ssl", "none")
# Where `jobboard serve` listens unless told otherwise; the default site address follows it.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # noqa: S104 (recognised, not bound)


def local_base_url(host: str, port: int) -> str:
    """The address a browser on this machine opens to reach `serve --host HOST --port PORT`."""
    if host in _WILDCARD_HOSTS:
        host = DEFAULT_HOST
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


# Where the background loops (indexer, e-mail sender, expiry) run: in every `serve` process, or
# only in a separate `jobboard worker` process (then web workers run none of them).
BACKGROUND_MODES = ("inline", "worker")
# Where CVs are kept (JOBBOARD_CV_STORAGE): files under the data dir, or the database.
CV_STORAGES = ("local", "database")
LOG_FORMATS = ("text", "json")


def _sqlite_url(data_dir: Path) -> str:
    return f"sqlite://{data_dir / 'jobboard.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    debug: bool = False
    templates_dir: Path = PROJECT_ROOT / "templates"
    static_dir: Path = PROJECT_ROOT / "static"
    fixtures_dir: Path = PROJECT_ROOT / "fixtures"
    page_size: int = 20
    # `/sante` computes its answer at most once in this many seconds and shares it: probes from
    # a proxy, monitoring and other hosts come several times a second (0: every probe checks).
    health_ttl_seconds: float = 1.0
    # An alert digest leaves out offers first published less than this long ago: their
    # transaction may not be committed yet, nor the search index updated (next run covers them).
    alert_settle_seconds: int = 300
    # Absolute address used in e-mails; never taken from the request's Host header, so a forged
    # Host cannot plant its own domain in a password-reset link. By default the address `serve`
    # listens on, so a confirmation link opens on the origin that holds the session cookie.
    base_url: str = local_base_url(DEFAULT_HOST, DEFAULT_PORT)
    email_from: str = "Bourse Petites villes de demain <ne-pas-repondre@localhost>"
    smtp_host: str = ""  # empty: messages go to the log and data/outbox/
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: str = "starttls"  # starttls | ssl | none
    # RFC 5321 §4.5.3.2: 5 minutes for a command's reply, 10 for the reply to the end of DATA.
    smtp_timeout: float = 300.0
    smtp_data_timeout: float = 600.0
    redis_url: str = ""  # empty: rate-limit counters kept in memory (one process)
    # Reverse proxies whose X-Forwarded-For / -Proto are believed (addresses or networks);
    # empty: none, every client is the address that connected, loopback included.
    trusted_proxies: tuple[str, ...] = ()
    cv_max_bytes: int = 5 * 1024 * 1024
    # Where new CVs go: "local" (files under data_dir/cv) or "database" (the cv_blob table);
    # empty: local on SQLite, database on PostgreSQL (every host reads them). services/cv_store.
    cv_storage: str = ""
    # Requests to /api/v1/ per IP address, in the `limits` notation (« 60/minute »).
    api_rate_limit: str = "60/minute"
    session_idle_minutes: int = 120
    session_max_hours: int = 24
    background: str = "inline"  # inline | worker (JOBBOARD_BACKGROUND, `serve --no-background`)
    # This host's copy of the search index as the shared `search_state` table names it: each
    # host applies the change rows to its own index directory, at its own pace
    # (JOBBOARD_INDEX_REPLICA; empty: the host's name and its index directory, `replica_name`).
    index_replica: str = ""
    # `/metriques` asks for this bearer token (JOBBOARD_METRICS_TOKEN); without one it answers
    # only to this machine.
    metrics_token: str = ""
    log_format: str = "text"  # text | json (JOBBOARD_LOG_FORMAT): JSON lines with request ids
    # Legal notice and accessibility statement (README, « Legal pages »).
    publisher: str = "Agence nationale de la cohésion des territoires (ANCT)"
    publisher_address: str = "20 avenue de Ségur, TSA 10717, 75334 Paris Cedex 07"
    publication_director: str = (
        "le directeur général de l’Agence nationale de la cohésion des territoires"
    )
    hosting_name: str = "Agence nationale de la cohésion des territoires (ANCT)"
    hosting_address: str = "20 avenue de Ségur, TSA 10717, 75334 Paris Cedex 07"
    hosting_phone: str = "01 85 58 60 00"
    # Where messages of the contact form go; empty: to every active ANCT staff account.
    contact_email: str = ""
    # An RGAA audit, once one is done: its date and its conformity rate (percent).
    accessibility_audit_date: date | None = None
    accessibility_audit_rate: float | None = None
    accessibility_statement_date: date = ACCESSIBILITY_STATEMENT_DATE

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def cv_dir(self) -> Path:
        return self.data_dir / "cv"

    @property
    def cv_backend(self) -> str:
        if self.cv_storage:
            return self.cv_storage
        return "local" if self.is_sqlite else "database"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        smtp_tls = _choice(env, "JOBBOARD_SMTP_TLS", cls.smtp_tls, SMTP_TLS_MODES)
        background = _choice(env, "JOBBOARD_BACKGROUND", cls.background, BACKGROUND_MODES)
        cv_storage = _choice(env, "JOBBOARD_CV_STORAGE", "", ("", *CV_STORAGES))
        log_format = _choice(env, "JOBBOARD_LOG_FORMAT", cls.log_format, LOG_FORMATS)
        trusted_proxies = _networks(env.get("JOBBOARD_TRUSTED_PROXIES", ""))
        data_dir = Path(env.get("JOBBOARD_DATA_DIR", "data")).resolve()
        database_url = env.get("JOBBOARD_DATABASE_URL") or _sqlite_url(data_dir)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("JOBBOARD_SECRET_KEY") or _persistent_secret(data_dir),
            debug=env.get("JOBBOARD_DEBUG", "") == "1",
            base_url=env.get("JOBBOARD_BASE_URL", cls.base_url).rstrip("/"),
            email_from=env.get("JOBBOARD_EMAIL_FROM", cls.email_from),
            smtp_host=env.get("JOBBOARD_SMTP_HOST", ""),
            smtp_port=int(env.get("JOBBOARD_SMTP_PORT", cls.smtp_port)),
            smtp_user=env.get("JOBBOARD_SMTP_USER", ""),
            smtp_password=env.get("JOBBOARD_SMTP_PASSWORD", ""),
            smtp_tls=smtp_tls,
            smtp_timeout=float(env.get("JOBBOARD_SMTP_TIMEOUT", cls.smtp_timeout)),
            smtp_data_timeout=float(env.get("JOBBOARD_SMTP_DATA_TIMEOUT", cls.smtp_data_timeout)),
            redis_url=env.get("JOBBOARD_REDIS_URL", ""),
            index_replica=env.get("JOBBOARD_INDEX_REPLICA", ""),
            metrics_token=env.get("JOBBOARD_METRICS_TOKEN", ""),
            log_format=log_format,
            trusted_proxies=trusted_proxies,
            session_idle_minutes=int(
                env.get("JOBBOARD_SESSION_IDLE_MINUTES", cls.session_idle_minutes)
            ),
            session_max_hours=int(env.get("JOBBOARD_SESSION_MAX_HOURS", cls.session_max_hours)),
            cv_max_bytes=int(env.get("JOBBOARD_CV_MAX_BYTES", cls.cv_max_bytes)),
            cv_storage=cv_storage,
            api_rate_limit=_rate_limit(env.get("JOBBOARD_API_RATE_LIMIT", cls.api_rate_limit)),
            alert_settle_seconds=int(
                env.get("JOBBOARD_ALERT_SETTLE_SECONDS", cls.alert_settle_seconds)
            ),
            background=background,
            publisher=env.get("JOBBOARD_PUBLISHER", cls.publisher),
            publisher_address=env.get("JOBBOARD_PUBLISHER_ADDRESS", cls.publisher_address),
            publication_director=env.get("JOBBOARD_PUBLICATION_DIRECTOR", cls.publication_director),
            hosting_name=env.get("JOBBOARD_HOSTING_NAME", cls.hosting_name),
            hosting_address=env.get("JOBBOARD_HOSTING_ADDRESS", cls.hosting_address),
            hosting_phone=env.get("JOBBOARD_HOSTING_PHONE", cls.hosting_phone),
            contact_email=env.get("JOBBOARD_CONTACT_EMAIL", ""),
            **_accessibility(env),
        )


def _accessibility(env: dict[str, str]) -> dict[str, Any]:
    """JOBBOARD_ACCESSIBILITY_AUDIT_DATE / _RATE (both or neither) and _STATEMENT_DATE."""
    values: dict[str, Any] = {}
    audit_date = env.get("JOBBOARD_ACCESSIBILITY_AUDIT_DATE", "").strip()
    audit_rate = env.get("JOBBOARD_ACCESSIBILITY_AUDIT_RATE", "").strip().rstrip("%")
    if bool(audit_date) != bool(audit_rate):
        raise ValueError(
            "JOBBOARD_ACCESSIBILITY_AUDIT_DATE et JOBBOARD_ACCESSIBILITY_AUDIT_RATE vont "
            "ensemble : la date de l’audit RGAA et son taux de conformité"
        )
    if audit_date:
        values["accessibility_audit_date"] = _iso_date(
            "JOBBOARD_ACCESSIBILITY_AUDIT_DATE", audit_date
        )
        try:
            rate = float(audit_rate.replace(",", "."))
        except ValueError:
            rate = -1.0
        if not 0 <= rate <= 100:
            raise ValueError(
                f"JOBBOARD_ACCESSIBILITY_AUDIT_RATE : « {audit_rate} » n’est pas un pourcentage "
                "entre 0 et 100"
            )
        values["accessibility_audit_rate"] = rate
    if statement := env.get("JOBBOARD_ACCESSIBILITY_STATEMENT_DATE", "").strip():
        values["accessibility_statement_date"] = _iso_date(
            "JOBBOARD_ACCESSIBILITY_STATEMENT_DATE", statement
        )
    return values


def _rate_limit(value: str) -> str:
    """« 60/minute », « 1000/hour », « 10 per second »: what the `limits` library reads."""
    try:
        if parse(value).amount < 1:
            raise ValueError(value)
    except ValueError:
        raise ValueError(
            f"JOBBOARD_API_RATE_LIMIT : « {value} » n’est pas une limite comprise "
            "(par exemple 60/minute ou 1000/hour)"
        ) from None
    return value.strip()


def _iso_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} : « {value} » n’est pas une date AAAA-MM-JJ") from None


def _networks(value: str) -> tuple[str, ...]:
    """`10.0.0.5, 192.168.0.0/24` → the entries, each checked to be an address or a network."""
    entries = tuple(part.strip() for part in value.split(",") if part.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry)
        except ValueError:
            raise ValueError(
                f"JOBBOARD_TRUSTED_PROXIES : « {entry} » n’est ni une adresse IP ni un réseau "
                "(ex. 10.0.0.5 ou 10.0.0.0/24)"
            ) from None
    return entries


def _choice(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    """The variable's value, one of `allowed`; any other is refused with the list."""
    value = env.get(name, default)
    if value not in allowed:
        shown = ", ".join(choice for choice in allowed if choice)
        raise ValueError(f"{name} vaut « {value} » : valeurs possibles {shown}")
    return value


def replica_name(index_dir: Path) -> str:
    """« host-1a2b3c4d5e »: stable across restarts, distinct for two data directories of one
    machine, at most 100 characters (the column's size)."""
    digest = hashlib.sha256(str(index_dir).encode()).hexdigest()[:10]
    return f"{socket.gethostname()[:80]}-{digest}"


def _persistent_secret(data_dir: Path) -> str:
    """A random key kept in the data dir, so sessions survive restarts without configuration."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def connection_url(database_url: str) -> str:
    """SQLite connections overwrite what they delete (`secure_delete`): a deleted account's
    bytes do not linger in free pages of the file (the WAL is checkpointed after a deletion,
    see jobboard.db.erase_deleted_pages)."""
    if not database_url.startswith("sqlite") or "secure_delete=" in database_url:
        return database_url
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}secure_delete=ON"


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config dict shared by the app, the CLI and the migration tool."""
    return {
        "connections": {"default": connection_url(database_url)},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "default_connection": "default",
                "migrations": "jobboard.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


# Read by `tortoise makemigrations` ([tool.tortoise] in pyproject.toml).
TORTOISE_ORM = tortoise_config(
    os.environ.get("JOBBOARD_DATABASE_URL")
    or _sqlite_url(Path(os.environ.get("JOBBOARD_DATA_DIR", "data")).resolve())
)
