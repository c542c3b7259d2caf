"""Configuration: defaults in code, then instance/config.py, then the environment, then the caller."""
import os
import secrets
from pathlib import Path

# DESIGN §4: these names are public; scripts set them in the environment.
ENV_KEYS = (
    "DATABASE_URL",
    "PORTAL_INSTANCE_DIR",
    "PORTAL_ARCHIVE_DIR",
    "PORTAL_INDEX_DIR",
    "SECRET_KEY",
    "PORTAL_ADMIN_PASSWORD",
    "PORTAL_SEARCH_ENGINE",
    "PORTAL_TRUSTED_PROXIES",
    "PORTAL_CONSUME_DIR",
    "PORTAL_CONSUME_INTERVAL",
    "PORTAL_CONSUME_SETTLE",
    "PORTAL_QUEUE_URL",
)

DEFAULTS = {
    "PORTAL_SEARCH_ENGINE": "whoosh",
    "PORTAL_UPLOAD_MAX_MB": 50,
    "PORTAL_REQUEST_MAX_MB": 210,  # several PDFs in one upload form
    "PORTAL_SECURE_COOKIES": False,
    "PORTAL_LOGIN_MAX_FAILURES": 5,
    "PORTAL_LOGIN_LOCK_MINUTES": 15,
    "PORTAL_LOGIN_MAX_FAILURES_PER_IP": 30,
    # An account tried from many addresses meets this slower ceiling (a guessing botnet), not 5.
    "PORTAL_LOGIN_MAX_FAILURES_PER_ACCOUNT": 50,
    # A session ends after this long without a request, and in any case this long after login.
    "PORTAL_SESSION_IDLE_MINUTES": 240,
    "PORTAL_SESSION_MAX_HOURS": 12,
    # How many reverse proxies in front of the portal to trust for the client's address (X-Forwarded-For).
    "PORTAL_TRUSTED_PROXIES": 0,
    "PORTAL_PAGE_SIZE": 50,
    # The watched import folder (DESIGN §4.1): unset = off. The worker scans it every INTERVAL seconds
    # and takes a file once it has not changed for SETTLE seconds (a scanner may still be writing it).
    "PORTAL_CONSUME_DIR": None,
    "PORTAL_CONSUME_INTERVAL": 10,
    "PORTAL_CONSUME_SETTLE": 5,
    # The task queue: empty = SQLite in the instance folder; redis://host:port/db puts it on Redis
    # (several machines' workers share it). Checked at start-up by check_queue_url.
    "PORTAL_QUEUE_URL": "",
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "PORTAL_LANGUAGES": ("vi", "en"),
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session; a meeting can last hours
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked in a before_request hook so bearer-token API calls are exempt
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
}


def _env_config() -> dict:
    """Read the public configuration keys from the environment."""
    return {key: os.environ[key] for key in ENV_KEYS if os.environ.get(key)}


def load_config(app, test_config: dict | None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and test_config (last wins)."""
    app.config.update(DEFAULTS)
    overrides = dict(_env_config())
    if test_config:
        overrides.update(test_config)

    instance_dir = Path(overrides.get("PORTAL_INSTANCE_DIR") or Path.cwd() / "instance").resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(instance_dir)
    app.config.from_pyfile(str(instance_dir / "config.py"), silent=True)
    app.config.update(overrides)

    app.config["PORTAL_INSTANCE_DIR"] = str(instance_dir)
    archive_dir = Path(app.config.get("PORTAL_ARCHIVE_DIR") or Path.cwd() / "archive").resolve()
    index_dir = Path(app.config.get("PORTAL_INDEX_DIR") or instance_dir / "index").resolve()
    for folder in (archive_dir, index_dir):
        folder.mkdir(parents=True, exist_ok=True)
    app.config["PORTAL_ARCHIVE_DIR"] = str(archive_dir)
    app.config["PORTAL_INDEX_DIR"] = str(index_dir)
    app.config.setdefault("PORTAL_TRUST_DIR", str(instance_dir / "trust"))

    url = normalise_database_url(app.config.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'portal.sqlite3'}")
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["PORTAL_QUEUE_URL"] = check_queue_url(app.config.get("PORTAL_QUEUE_URL"))
    app.config["PORTAL_SEARCH_ENGINE"] = check_search_engine(app.config.get("PORTAL_SEARCH_ENGINE"), url)

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance_dir)
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config.get("PORTAL_SECURE_COOKIES"))
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["PORTAL_REQUEST_MAX_MB"]) * 1024 * 1024


def normalise_database_url(url: str) -> str:
    """Point a PostgreSQL URL without a driver at psycopg 3, the driver installed with the package."""
    # SQLAlchemy's default for postgresql:// is psycopg2, which is not installed; Heroku-style
    # postgres:// is no longer accepted by SQLAlchemy 2 at all.
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def check_search_engine(name, database_url: str) -> str:
    """PORTAL_SEARCH_ENGINE, or a ValueError at start-up: a wrong choice must stop the start, not the first search."""
    from portal.search.engine import ENGINES

    name = str(name or "whoosh").strip().lower()
    if name not in ENGINES:
        raise ValueError(f"PORTAL_SEARCH_ENGINE='{name}' không được hỗ trợ: chọn một trong {', '.join(ENGINES)}.")
    if name == "postgres" and not database_url.startswith("postgresql"):
        # The index is a table of the portal's own database: there is none to put it in on SQLite.
        raise ValueError("PORTAL_SEARCH_ENGINE=postgres cần DATABASE_URL là PostgreSQL (postgresql://…): chỉ mục "
                         "nằm trong chính cơ sở dữ liệu đó. Với SQLite hãy dùng whoosh hoặc tantivy.")
    return name


QUEUE_SCHEMES = ("redis", "rediss")


def check_queue_url(url) -> str:
    """PORTAL_QUEUE_URL stripped, or a ValueError naming the key: a typo must stop the start, not lose tasks."""
    from urllib.parse import urlsplit

    url = str(url or "").strip()
    if not url:
        return ""
    expected = ("cần dạng redis://máy:cổng/số (hoặc rediss:// qua TLS); để trống thì hàng đợi là tệp SQLite "
                "trong thư mục instance")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValueError(f"PORTAL_QUEUE_URL không phải địa chỉ hợp lệ: {expected}.") from None
    if parts.scheme not in QUEUE_SCHEMES:
        # The scheme alone is shown: the rest of the URL may hold a password.
        raise ValueError(f"PORTAL_QUEUE_URL dùng giao thức '{parts.scheme}' không được hỗ trợ: {expected}.")
    if not parts.hostname:
        raise ValueError(f"PORTAL_QUEUE_URL thiếu tên máy Redis: {expected}.")
    database = parts.path.strip("/")
    if database and not database.isdigit():
        raise ValueError(f"PORTAL_QUEUE_URL: số cơ sở dữ liệu Redis phải là một số (0, 1, …): {expected}.")
    return url


def masked_queue_url(url: str) -> str:
    """The queue's URL with its password hidden, for printing and logging."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def masked_database_url(url: str) -> str:
    """Return the database URL with its password hidden, for printing and logging."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "***"  # not a URL we can parse, so we cannot tell which part is secret


def _instance_secret(instance_dir: Path) -> str:
    """Return the secret key stored in the instance folder, generating it once."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    # Written whole under a private name, then linked into place: two processes starting at once end up
    # with the same key, and neither can read a file that exists but is still empty.
    tmp = path.with_name(f".secret_key.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)  # fails when another process linked its key first: theirs wins
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key
