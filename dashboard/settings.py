"""Typed settings read once from the environment.

Every part of Meridian (the app, the CLI, Alembic, gunicorn's configuration and
the tests) builds its configuration through :func:`Settings.from_env`, so they
never disagree. An invalid value raises :class:`SettingsError` naming the
variable; entry points turn it into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
ENVIRONMENTS = ("production", "development", "test")

# Cache lifetimes in seconds (docs/product.md §5). Each is overridable with
# CACHE_TTL_<NAME>, e.g. CACHE_TTL_OPTIMISATION=600.
DEFAULT_CACHE_TTLS: dict[str, int] = {
    "optimisation": 15 * 60,
    "risk": 10 * 60,
    "backtest": 10 * 60,
    "tax": 20 * 60,
    "diversification": 10 * 60,
    "monte_carlo": 24 * 60 * 60,
    "market_data": 60 * 60,
    "session": 10 * 60,
    "household": 10 * 60,  # who may see a household, with its versions (dropped when its data change)
    "snapshot": 10 * 60,  # a household's accounts, positions and goals, per version
    "rendered": 10 * 60,  # a results panel as sent to the browser, for a scenario already computed
    "answer": 10 * 60,  # a run's whole response, compressed, sent again for the same run (answers.py)
    "thread": 5 * 60,
    "grid": 5 * 60,  # total row counts of the transactions grid
    "assumptions": 60 * 60,  # the firm's capital market assumptions (dropped when a set is added)
    "report": 24 * 60 * 60,  # a finished client report's PDF, served again for the same composition
}


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the variable."""

    def __init__(self, variable: str, problem: str):
        self.variable = variable
        super().__init__(f"invalid setting {variable}: {problem}")


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one Meridian process."""

    database_url: str
    redis_url: str | None = None
    url_prefix: str = "/"
    secret_key: str = ""
    log_level: str = "INFO"
    environment: str = "production"
    instance_path: Path = PROJECT_ROOT / "instance"
    market_data_path: Path = PROJECT_ROOT / "data" / "market"
    cache_ttls: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_CACHE_TTLS))
    redis_socket_timeout: float = 0.25
    metrics_token: str | None = None
    allowed_frame_ancestors: tuple[str, ...] = ("'self'",)
    # the intranet portal's single sign-on: the header naming the user (by email), believed only from
    # these proxy addresses or networks
    proxy_user_header: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    # proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Prefix are believed (0: none)
    proxy_hops: int = 0
    # failed sign-ins for one account from one address, and from one address, before that is refused
    # for the rest of the window; past the per-account number (from anywhere) each further attempt on
    # the account waits a delay doubling from 1 s up to login_max_delay_seconds (never a hard lock)
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_window_seconds: int = 15 * 60
    login_max_delay_seconds: int = 60
    # the demo users' password (make setup seeds them; README lists them)
    demo_password: str = "meridian-demo"
    # the database: a query running longer than this is cut off (the analyst is told); the pool per process
    statement_timeout_ms: int = 15_000
    pool_size: int = 5
    max_overflow: int = 5
    # history is not a forecast: a historical estimate from fewer years than a full market cycle, or a
    # portfolio's expected return outside these bounds (fractions a year), is flagged beside the result
    full_cycle_years: int = 15
    plausible_return_min: float = -0.05
    plausible_return_max: float = 0.15
    # the client report: the firm on its cover, and its PDF renderers (each a headless Chromium drawing
    # the charts): how many at once across the app, and how long one may take before it is stopped
    firm_name: str = "Meridian Wealth Partners"
    firm_logo: Path | None = PROJECT_ROOT / "assets" / "firm-logo.svg"
    report_renderers: int = 2
    # days the audit trail keeps a record (python -m meridian audit prune; the pruning is recorded)
    audit_retention_days: int = 2557
    report_timeout_seconds: int = 120
    report_paper: str = "letter"  # the PDF's paper: letter or a4

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def testing(self) -> bool:
        return self.environment == "test"

    def replace(self, **changes) -> Settings:
        """A copy with some fields changed (validated again)."""
        new = dataclasses.replace(self, **changes)
        new.validate()
        return new

    def validate(self) -> None:
        _check_database_url(self.database_url)
        if self.redis_url is not None:
            _check_redis_url(self.redis_url)
        if not (self.url_prefix.startswith("/") and self.url_prefix.endswith("/")):
            raise SettingsError("URL_PREFIX", "must start and end with '/', e.g. /meridian/")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}")
        if self.environment not in ENVIRONMENTS:
            raise SettingsError("MERIDIAN_ENV", f"must be one of {', '.join(ENVIRONMENTS)}")
        if len(self.secret_key) < 16:
            raise SettingsError("SECRET_KEY", "must be at least 16 characters")
        for name, ttl in self.cache_ttls.items():
            if not isinstance(ttl, int) or ttl <= 0:
                raise SettingsError(f"CACHE_TTL_{name.upper()}", "must be a positive integer")
        if not 0 < self.redis_socket_timeout <= 30:
            raise SettingsError("REDIS_SOCKET_TIMEOUT", "must be between 0 and 30 seconds")
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise SettingsError(
                    "AUTH_TRUSTED_PROXIES", f"{proxy!r} is not an address or network"
                ) from None
        if self.proxy_user_header and not self.trusted_proxies:
            raise SettingsError(
                "AUTH_TRUSTED_PROXIES", "must name the portal's proxy when AUTH_PROXY_HEADER is set"
            )
        if not 0 <= self.proxy_hops <= 5:
            raise SettingsError("PROXY_HOPS", "must be 0 to 5")
        if not 100 <= self.statement_timeout_ms <= 600_000:
            raise SettingsError("DATABASE_STATEMENT_TIMEOUT_MS", "must be 100 to 600000 (milliseconds)")
        if not 1 <= self.pool_size <= 100:
            raise SettingsError("DATABASE_POOL_SIZE", "must be 1 to 100")
        if not 0 <= self.max_overflow <= 100:
            raise SettingsError("DATABASE_MAX_OVERFLOW", "must be 0 to 100")
        if not 1 <= len(self.firm_name.strip()) <= 120:
            raise SettingsError("FIRM_NAME", "must be 1 to 120 characters")
        if self.firm_logo is not None and (
            self.firm_logo.suffix.lower() not in (".svg", ".png") or not self.firm_logo.is_file()
        ):
            raise SettingsError("FIRM_LOGO", "must name an existing .svg or .png file")
        if self.report_paper not in ("letter", "a4"):
            raise SettingsError("REPORT_PAPER", "must be letter or a4")
        if not 1 <= self.report_renderers <= 16:
            raise SettingsError("REPORT_RENDERERS", "must be 1 to 16")
        if not 1 <= self.audit_retention_days <= 36_500:
            raise SettingsError("AUDIT_RETENTION_DAYS", "must be 1 to 36,500 days")
        if not 10 <= self.report_timeout_seconds <= 3600:
            raise SettingsError("REPORT_TIMEOUT_SECONDS", "must be 10 to 3600")
        if not 1 <= self.full_cycle_years <= 100:
            raise SettingsError("FULL_CYCLE_YEARS", "must be 1 to 100")
        if not -1 <= self.plausible_return_min < self.plausible_return_max <= 2:
            raise SettingsError(
                "PLAUSIBLE_RETURN_MAX",
                "must be above PLAUSIBLE_RETURN_MIN, both percentages between -100 and 200",
            )
        for name, value in (
            ("LOGIN_ATTEMPTS_PER_ACCOUNT", self.login_attempts_per_account),
            ("LOGIN_ATTEMPTS_PER_ADDRESS", self.login_attempts_per_address),
            ("LOGIN_WINDOW_SECONDS", self.login_window_seconds),
            ("LOGIN_MAX_DELAY_SECONDS", self.login_max_delay_seconds),
        ):
            if value <= 0:
                raise SettingsError(name, "must be a positive integer")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings from ``env`` (default: ``os.environ``)."""
        env = os.environ if env is None else env
        instance_path = Path(env.get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'meridian.db'}"
        ttls = dict(DEFAULT_CACHE_TTLS)
        for name in ttls:
            variable = f"CACHE_TTL_{name.upper()}"
            if env.get(variable):
                ttls[name] = _parse_int(variable, env[variable])
        environment = env.get("MERIDIAN_ENV", "production").strip().lower()
        secret_key = env.get("SECRET_KEY") or _instance_secret(instance_path)
        ancestors = tuple(env.get("ALLOWED_FRAME_ANCESTORS", "'self'").split())
        settings = cls(
            database_url=database_url,
            redis_url=env.get("REDIS_URL") or None,
            url_prefix=env.get("URL_PREFIX") or "/",
            secret_key=secret_key,
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            environment=environment,
            instance_path=instance_path,
            market_data_path=Path(env.get("MARKET_DATA_PATH") or PROJECT_ROOT / "data" / "market"),
            cache_ttls=ttls,
            redis_socket_timeout=_parse_float(
                "REDIS_SOCKET_TIMEOUT", env.get("REDIS_SOCKET_TIMEOUT", "0.25")
            ),
            metrics_token=env.get("METRICS_TOKEN") or None,
            allowed_frame_ancestors=ancestors or ("'self'",),
            proxy_user_header=env.get("AUTH_PROXY_HEADER") or None,
            trusted_proxies=tuple(env.get("AUTH_TRUSTED_PROXIES", "").replace(",", " ").split()),
            proxy_hops=_parse_int("PROXY_HOPS", env.get("PROXY_HOPS", "0")),
            login_attempts_per_account=_parse_int(
                "LOGIN_ATTEMPTS_PER_ACCOUNT", env.get("LOGIN_ATTEMPTS_PER_ACCOUNT", "5")
            ),
            login_attempts_per_address=_parse_int(
                "LOGIN_ATTEMPTS_PER_ADDRESS", env.get("LOGIN_ATTEMPTS_PER_ADDRESS", "20")
            ),
            login_window_seconds=_parse_int("LOGIN_WINDOW_SECONDS", env.get("LOGIN_WINDOW_SECONDS", "900")),
            login_max_delay_seconds=_parse_int(
                "LOGIN_MAX_DELAY_SECONDS", env.get("LOGIN_MAX_DELAY_SECONDS", "60")
            ),
            demo_password=env.get("DEMO_PASSWORD") or "meridian-demo",
            statement_timeout_ms=_parse_int(
                "DATABASE_STATEMENT_TIMEOUT_MS", env.get("DATABASE_STATEMENT_TIMEOUT_MS", "15000")
            ),
            pool_size=_parse_int("DATABASE_POOL_SIZE", env.get("DATABASE_POOL_SIZE", "5")),
            max_overflow=_parse_int("DATABASE_MAX_OVERFLOW", env.get("DATABASE_MAX_OVERFLOW", "5")),
            full_cycle_years=_parse_int("FULL_CYCLE_YEARS", env.get("FULL_CYCLE_YEARS", "15")),
            firm_name=env.get("FIRM_NAME") or "Meridian Wealth Partners",
            firm_logo=Path(env["FIRM_LOGO"])
            if env.get("FIRM_LOGO")
            else PROJECT_ROOT / "assets" / "firm-logo.svg",
            report_renderers=_parse_int("REPORT_RENDERERS", env.get("REPORT_RENDERERS", "2")),
            audit_retention_days=_parse_int("AUDIT_RETENTION_DAYS", env.get("AUDIT_RETENTION_DAYS", "2557")),
            report_timeout_seconds=_parse_int(
                "REPORT_TIMEOUT_SECONDS", env.get("REPORT_TIMEOUT_SECONDS", "120")
            ),
            report_paper=(env.get("REPORT_PAPER") or "letter").strip().lower(),
            plausible_return_min=_parse_float("PLAUSIBLE_RETURN_MIN", env.get("PLAUSIBLE_RETURN_MIN", "-5"))
            / 100,
            plausible_return_max=_parse_float("PLAUSIBLE_RETURN_MAX", env.get("PLAUSIBLE_RETURN_MAX", "15"))
            / 100,
        )
        settings.validate()
        return settings

    @classmethod
    def for_tests(cls, tmp_path: Path, **overrides) -> Settings:
        """Settings isolated in ``tmp_path``; the environment is not read."""
        base = cls(
            database_url=f"sqlite:///{Path(tmp_path) / 'test.db'}",
            secret_key="test-secret-key-0123456789",
            environment="test",
            instance_path=Path(tmp_path),
            log_level="WARNING",
        )
        return base.replace(**overrides)


def _parse_int(variable: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(variable, f"{raw!r} is not an integer") from None


def _parse_float(variable: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(variable, f"{raw!r} is not a number") from None


def _check_database_url(url: str) -> None:
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme not in ("sqlite", "postgresql", "postgres"):
        raise SettingsError("DATABASE_URL", "must be a sqlite:/// or postgresql:// URL")
    if scheme == "sqlite" and not url.startswith("sqlite:///"):
        raise SettingsError("DATABASE_URL", "SQLite URLs look like sqlite:///path/to/file.db")


def _check_redis_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise SettingsError("REDIS_URL", "must be a redis://, rediss:// or unix:// URL")
    if parts.scheme != "unix":
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise SettingsError("REDIS_URL", "has an invalid port") from None
        if not parts.hostname:
            raise SettingsError("REDIS_URL", "has no host")


def _instance_secret(instance_path: Path) -> str:
    """A secret kept in the instance folder, so the embedded default needs no set-up.

    Every gunicorn worker reads the same file, so signed values stay valid across
    workers and restarts. Production sets SECRET_KEY explicitly.
    """
    path = instance_path / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    # Write a private temporary file, then link it into place: the link is atomic
    # and fails if another worker got there first, so nobody reads a half-written key.
    tmp = instance_path / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
