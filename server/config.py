"""Configuration from the environment only (names in API.md); nothing connects at import time."""
from __future__ import annotations

import dataclasses
import json
import os
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"

# Development defaults for template ids; production sets the JSON objects in the environment.
DEFAULT_WECHAT_SUBSCRIBE_TEMPLATES = {
    "complaint.forwarded": "wx-sub-forwarded-dev",
    "complaint.responded": "wx-sub-responded-dev",
    "complaint.mediating": "wx-sub-mediating-dev",
    "complaint.resolved": "wx-sub-resolved-dev",
    "complaint.unresolved": "wx-sub-unresolved-dev",
    "complaint.deadline_soon": "wx-sub-deadline-dev",
    "message.created": "wx-sub-message-dev",
}
DEFAULT_WECHAT_OA_TEMPLATES = {
    "complaint.forwarded": "wx-oa-forwarded-dev",
    "complaint.mediating": "wx-oa-mediating-dev",
    "complaint.resolved": "wx-oa-resolved-dev",
    "complaint.unresolved": "wx-oa-unresolved-dev",
    "complaint.deadline_soon": "wx-oa-deadline-dev",
    "message.created": "wx-oa-message-dev",
}
DEFAULT_ALIPAY_SUBSCRIBE_TEMPLATES = {
    "complaint.forwarded": "ali-sub-forwarded-dev",
    "complaint.responded": "ali-sub-responded-dev",
    "complaint.mediating": "ali-sub-mediating-dev",
    "complaint.resolved": "ali-sub-resolved-dev",
    "complaint.unresolved": "ali-sub-unresolved-dev",
    "complaint.deadline_soon": "ali-sub-deadline-dev",
    "message.created": "ali-sub-message-dev",
}


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _names(value: str) -> list[str]:
    return [n.strip().lower() for n in value.split(",") if n.strip()]


def _json_obj(value: str | None, default: dict[str, Any]) -> dict[str, Any]:
    """A template setting: event -> template id, or -> {"id": ..., "fields": {...}} (kept as given;
    server.core.notifications.templates.validate checks it when the settings are loaded)."""
    if not value:
        return dict(default)
    try:
        parsed = json.loads(value)
    except ValueError as exc:
        raise ValueError(f"template configuration is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ValueError("template configuration must be a JSON object")
    # Numbers become ids; other shapes are kept for the validation to name.
    return {str(k): (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in parsed.items()}


def normalize_database_url(url: str) -> str:
    """Let a plain postgresql:// URL work as given: we use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+psycopg://" + url[len("postgresql+psycopg2://"):]
    return url


# event -> template id, or -> {"id": "...", "fields": {"<keyword>": "<source>"}} (API.md "Template
# fields are configuration"; server/core/notifications/templates.py).
TemplateMap = dict[str, Any]


class UnknownSetting(KeyError):
    """A setting name that is not a field of Settings: a typo, caught where it is read or overridden."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown setting {self.name!r} (server/config.py Settings has no such field)"


def _f(default: Any, *, lower: bool = False, empty_is_value: bool = False, env: str | None = None) -> Any:
    """A settings field: its one default, and how its environment variable is read.
    lower: strip and lower-case. empty_is_value: an empty variable is kept (rate limits: "" = no limit);
    otherwise an empty variable means the default. env: the variable's name when it differs."""
    meta = {"lower": lower, "empty_is_value": empty_is_value, "env": env}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


# Fields whose default lies under INSTANCE_DIR: "" here, filled in by load_config.
_UNDER_INSTANCE = {
    "DATABASE_URL": lambda instance: f"sqlite:///{instance / 'smart315.sqlite3'}",
    "UPLOAD_DIR": lambda instance: str(instance / "uploads"),
    "ASSIST_INDEX_CACHE_DIR": lambda instance: str(instance / "cache"),
    "AUDIT_SIGNING_KEY_FILE": lambda instance: str(instance / "audit-signing-key.pem"),
    "AUDIT_CHECKPOINT_DIR": lambda instance: str(instance / "audit-checkpoints"),
}


@dataclass(frozen=True, eq=False)
class Settings(Mapping):
    """Every setting of every process (web, worker, scheduler, CLI), typed, each default written once here.

    Built from the environment by load_config(); `app.config["SMART315"]` holds it. It reads as a
    read-only mapping too (`settings["X"]`, `settings.get("X")`, `"X" in settings`, `dict(settings)`) so
    core code and tests can hand it around like the plain dict it replaces. Typo protection: reading or
    overriding a name that is not a field raises UnknownSetting (a KeyError) in every process, also through
    `.get()`; no use site restates a default. Only a test app (SMART315_TESTING) may change a value in place
    (`settings["X"] = v`, `settings.update(...)`); everywhere else the object is frozen.
    """

    # --- core
    SMART315_ENV: str = _f("production", lower=True)
    INSTANCE_DIR: str = _f(str(ROOT / "instance"), env="SMART315_INSTANCE_DIR")
    SMART315_TESTING: bool = _f(False)
    DATABASE_URL: str = _f("")  # [sqlite file under INSTANCE_DIR]
    DATABASE_REPLICA_URL: str | None = _f(None)
    REDIS_URL: str | None = _f(None)
    # Connections per process: each gunicorn worker and thread, worker and scheduler has its own pool.
    DATABASE_POOL_SIZE: int = _f(10)
    DATABASE_MAX_OVERFLOW: int = _f(20)
    # Behind PgBouncer in transaction mode: no server-side prepared statements.
    DATABASE_PGBOUNCER: bool = _f(False)
    SECRET_KEY: str = _f("dev-secret-key-change-me")
    FIELD_ENCRYPTION_KEY: str = _f("dev-field-key-change-me")
    PUBLIC_BASE_URL: str = _f("http://127.0.0.1:8000")
    # `smart315 serve`: the address gunicorn listens on.
    BIND: str = _f("127.0.0.1:8000")
    # --- logging and error reporting (every process: create_app starts both)
    LOG_LEVEL: str = _f("INFO")
    LOG_FORMAT: str = _f("text", lower=True)
    SENTRY_DSN: str | None = _f(None)
    SENTRY_ENVIRONMENT: str = _f("production")
    SENTRY_TRACES_SAMPLE_RATE: float = _f(0.0)
    # --- WeChat, Alipay, SMS, LLM
    WECHAT_MINI_APPID: str = _f("wx-mini-dev-appid")
    WECHAT_MINI_SECRET: str = _f("wx-mini-dev-secret")
    WECHAT_OA_APPID: str = _f("wx-oa-dev-appid")
    WECHAT_OA_SECRET: str = _f("wx-oa-dev-secret")
    WECHAT_OA_TOKEN: str = _f("smart315devtoken")
    WECHAT_OA_AES_KEY: str | None = _f(None)
    WECHAT_API_BASE_URL: str = _f("https://api.weixin.qq.com")
    WECHAT_TIMEOUT_SECONDS: float = _f(5.0)
    ALIPAY_APPID: str = _f("2021000000000000")
    ALIPAY_APP_PRIVATE_KEY_FILE: str | None = _f(None)
    ALIPAY_PUBLIC_KEY_FILE: str | None = _f(None)
    ALIPAY_GATEWAY_URL: str = _f("https://openapi.alipay.com/gateway.do")
    ALIPAY_TIMEOUT_SECONDS: float = _f(5.0)
    SMS_PROVIDER: str = _f("console", lower=True)
    SMS_ACCESS_KEY_ID: str | None = _f(None)
    SMS_ACCESS_KEY_SECRET: str | None = _f(None)
    SMS_SIGN_NAME: str = _f("智慧三一五")
    SMS_TEMPLATE_CODE: str = _f("SMS_000000")
    SMS_ENDPOINT: str = _f("https://dysmsapi.aliyuncs.com")
    SMS_REGION_ID: str = _f("cn-hangzhou")
    SMS_TIMEOUT_SECONDS: float = _f(5.0)
    # Notifications by SMS when a consumer has no subscribe grant left (API.md "Mini-programs in the field"):
    # complaint.responded/.mediating/.resolved/.unresolved, to a bound phone, through SMS_PROVIDER with the
    # notice template SMS_NOTIFY_TEMPLATE_CODE (variables ${public_no} and ${event}).
    SMS_FALLBACK: bool = _f(True)
    SMS_NOTIFY_TEMPLATE_CODE: str = _f("SMS_000001")
    SMS_CODE_TTL_SECONDS: int = _f(300)
    SMS_RESEND_COOLDOWN_SECONDS: int = _f(60)
    LLM_BASE_URL: str | None = _f(None)
    LLM_API_KEY: str | None = _f(None)
    LLM_MODEL: str = _f("deepseek-flash")
    LLM_TIMEOUT_SECONDS: float = _f(8.0)
    # --- assist: model use bounded (issue 20 item 4); 0 = no budget
    LLM_MAX_TOKENS: int = _f(1200)
    LLM_STREAM_SECONDS: float = _f(60.0)
    LLM_DAILY_TOKEN_BUDGET: int = _f(2_000_000)
    LLM_CALLER_DAILY_TOKEN_BUDGET: int = _f(100_000)
    ASSIST_MAX_STREAMS: int = _f(2)
    ASSIST_WARM_INDEX: bool = _f(True)
    ASSIST_INDEX_CACHE_DIR: str = _f("")  # [INSTANCE_DIR/cache]
    # --- registries: the enabled login providers and notification channels (comma-separated; all by default)
    LOGIN_PROVIDERS: list[str] = _f(["wechat", "alipay", "sms", "password"])
    NOTIFICATION_CHANNELS: list[str] = _f(["inbox", "wechat_subscribe", "wechat_template", "alipay", "webhook",
                                           "sms"])
    # --- storage: evidence files in a local directory (UPLOAD_DIR) or an S3-compatible bucket
    UPLOAD_DIR: str = _f("")  # [INSTANCE_DIR/uploads]
    UPLOAD_MAX_BYTES: int = _f(10 * 1024 * 1024)
    UPLOAD_STORAGE: str = _f("local", lower=True)
    S3_ENDPOINT_URL: str | None = _f(None)
    S3_BUCKET: str | None = _f(None)
    S3_REGION: str | None = _f(None)
    S3_ACCESS_KEY_ID: str | None = _f(None)
    S3_SECRET_ACCESS_KEY: str | None = _f(None)
    S3_ADDRESSING_STYLE: str = _f("auto", lower=True)
    S3_TIMEOUT_SECONDS: float = _f(10.0)
    # --- notifications: webhooks, template ids, the outbox worker's tuning
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool = _f(False)
    WEBHOOK_TIMEOUT_SECONDS: float = _f(5.0)
    WECHAT_SUBSCRIBE_TEMPLATES: TemplateMap = _f(DEFAULT_WECHAT_SUBSCRIBE_TEMPLATES)
    WECHAT_OA_TEMPLATES: TemplateMap = _f(DEFAULT_WECHAT_OA_TEMPLATES)
    ALIPAY_SUBSCRIBE_TEMPLATES: TemplateMap = _f(DEFAULT_ALIPAY_SUBSCRIBE_TEMPLATES)
    NOTIFY_LEASE_SECONDS: float = _f(60.0)
    NOTIFY_BATCH_SIZE: int = _f(50)
    NOTIFY_CONCURRENCY: int = _f(8)
    NOTIFY_BACKOFF_BASE_SECONDS: float = _f(30.0)
    NOTIFY_BACKOFF_MAX_SECONDS: float = _f(3600.0)
    NOTIFY_GIVE_UP_SECONDS: float = _f(24 * 3600.0)
    NOTIFY_POLL_SECONDS: float = _f(2.0)
    # --- HTTP
    TRUSTED_PROXIES: int = _f(0)
    CORS_ORIGINS: list[str] = _f([])
    SESSION_COOKIE_SECURE: bool = _f(False)
    MAX_CONTENT_LENGTH: int = _f(12 * 1024 * 1024)
    MAX_QUERY_STRING_BYTES: int = _f(4096)
    ACCESS_TOKEN_TTL: int = _f(900)
    REFRESH_TOKEN_TTL: int = _f(30 * 24 * 3600)
    # --- lifecycle deadlines
    RESPONSE_DEADLINE_WORKING_DAYS: int = _f(10)
    ACCEPT_DEADLINE_WORKING_DAYS: int = _f(7)
    CONFIRM_DEADLINE_DAYS: int = _f(7)
    CLOSE_AFTER_DAYS: int = _f(15)
    # a resolved or closed complaint may be reopened by its consumer this many days after its end
    REOPEN_DAYS: int = _f(30)
    # days the consumer has to supplement requested materials before the complaint is rejected
    MATERIALS_DAYS: int = _f(10)
    # days after a resolution with an amount or a promise when the consumer is asked, once, whether it was kept
    FULFILMENT_CHECK_DAYS: int = _f(7)
    # authz: how long an invitation to join a business's staff may be accepted
    INVITATION_DAYS: int = _f(7)
    DEADLINE_SOON_HOURS: int = _f(48)
    WORKING_DAY_CALENDAR: str | None = _f(None)
    SCHEDULER_INTERVAL_SECONDS: int = _f(60)
    # Periodic jobs this deployment does not run (names as `smart315 jobs` lists them; server/tasks/jobs.py).
    SCHEDULER_DISABLED_JOBS: list[str] = _f([])
    EMBEDDED_WORKER: bool = _f(True)
    # --- public pages
    PUBLIC_CACHE_SECONDS: float = _f(120.0)
    PUBLIC_FAST_PATH: bool = _f(True)
    # Cache-Control max-age of public JSON (seconds); clients revalidate with the ETag after it.
    PUBLIC_HTTP_MAX_AGE: int = _f(15)
    # Filing numbers every site served in mainland China shows in its footer (ICP 备案, 公安联网备案).
    ICP_NUMBER: str = _f("")
    PUBLIC_SECURITY_RECORD: str = _f("")
    # --- moderation (issue 14 item 3)
    MODERATION_PROVIDER: str = _f("local", lower=True)
    MODERATION_WORDS_FILE: str | None = _f(None)
    WECHAT_MINI_PUSH_TOKEN: str = _f("smart315minipushdev")
    WECHAT_MINI_PUSH_AES_KEY: str | None = _f(None)
    WECHAT_MINI_PUSH_MAX_AGE_SECONDS: int = _f(300)
    # --- hardening
    WECHAT_CALLBACK_WINDOW_SECONDS: int = _f(300)
    METRICS_TOKEN: str | None = _f(None)
    # /metrics: seconds the database gauges are reused between scrapes
    METRICS_CACHE_SECONDS: float = _f(5.0)
    # --- sessions: sign-in captchas, failure counting, per-minute and per-hour sign-in and SMS limits
    SMS_CAPTCHA_AFTER: int = _f(1)
    CAPTCHA_TTL_SECONDS: int = _f(300)
    CAPTCHA_LIMIT_PER_IP: int = _f(60)
    LOGIN_CAPTCHA_AFTER: int = _f(3)
    LOGIN_CAPTCHA_AFTER_PER_IP: int = _f(10)
    LOGIN_FAILURE_WINDOW_SECONDS: int = _f(900)
    LOGIN_LIMIT_PER_IP: int = _f(30)
    LOGIN_LIMIT_PER_SUBJECT: int = _f(10)
    SMS_SEND_LIMIT_PER_PHONE: int = _f(5)
    SMS_SEND_LIMIT_PER_IP: int = _f(20)
    # --- abuse (API.md "Abuse controls"): limits in `limits` notation, `;` between windows; empty = none
    COMPLAINT_RATE_LIMIT: str = _f("5/hour;20/day", empty_is_value=True)
    ASSIST_RATE_LIMIT: str = _f("30/minute", empty_is_value=True)
    UPLOAD_RATE_LIMIT: str = _f("60/hour;300/day", empty_is_value=True)
    MESSAGE_RATE_LIMIT: str = _f("30/hour;200/day", empty_is_value=True)
    # casefile: POST /reports per account
    REPORT_RATE_LIMIT: str = _f("10/hour;30/day", empty_is_value=True)
    DUPLICATE_COMPLAINT_THRESHOLD: float = _f(0.9)
    CLAIMANT_WINDOW_DAYS: int = _f(30)
    CLAIMANT_MIN_BUSINESSES: int = _f(3)
    CLAIMANT_SIMILARITY: float = _f(0.8)
    # --- audit: the timeline's keyed chain (HMAC key, never stored in the database) and signed checkpoints.
    # The default key is for development only; production must set its own.
    AUDIT_KEY: str = _f("dev-audit-key-change-me")
    AUDIT_SIGNING_KEY_FILE: str = _f("")  # [INSTANCE_DIR/audit-signing-key.pem]
    AUDIT_CHECKPOINT_DIR: str = _f("")  # [INSTANCE_DIR/audit-checkpoints]

    # ---- read-only mapping access
    def __getitem__(self, name: str) -> Any:
        if name not in _FIELDS:
            raise UnknownSetting(name)
        return getattr(self, name)

    def get(self, name: str, default: Any = None) -> Any:
        """Like dict.get for a known name whose value is None; an unknown name raises UnknownSetting."""
        value = self[name]
        return default if value is None else value

    def __contains__(self, name: object) -> bool:
        return name in _FIELDS

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELDS)

    def __len__(self) -> int:
        return len(_FIELDS)

    def __setitem__(self, name: str, value: Any) -> None:
        """Tests only (SMART315_TESTING): change one known setting of a running test app in place."""
        if name not in _FIELDS:
            raise UnknownSetting(name)
        if not self.SMART315_TESTING:
            raise TypeError("settings are read-only outside tests; set the environment and restart")
        object.__setattr__(self, name, value)

    def update(self, other: Mapping[str, Any] = (), **changes: Any) -> None:
        """Tests only, like `settings["X"] = v`, for several names at once."""
        for name, value in {**dict(other), **changes}.items():
            self[name] = value

    def __repr__(self) -> str:
        shown = {k: ("***" if _is_secret_name(k) and getattr(self, k) else getattr(self, k)) for k in _FIELDS}
        return f"Settings({shown})"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (names checked)."""
        for name in changes:
            if name not in _FIELDS:
                raise UnknownSetting(name)
        return dataclasses.replace(self, **changes)


_FIELDS: dict[str, dataclasses.Field] = {f.name: f for f in dataclasses.fields(Settings)}
_TYPES: dict[str, Any] = typing.get_type_hints(Settings)


_LOWER_NAMES = {"LOGIN_PROVIDERS", "NOTIFICATION_CHANNELS"}  # registry names compare lower-case


def _parse(name: str, raw: str) -> Any:
    """One environment value (a string) as its field's type."""
    meta, kind = _FIELDS[name].metadata, _TYPES[name]
    if kind is bool:
        return _bool(raw)
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    if kind == list[str]:
        if name in _LOWER_NAMES:
            return _names(raw)
        return [o.strip() for o in raw.split(",") if o.strip()]
    if kind == dict[str, str] or kind == TemplateMap:
        return _json_obj(raw, {})
    return raw.strip().lower() if meta["lower"] else raw


def load_config(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Build the Settings from the environment, then apply explicit overrides (tests: create_app({...})).
    Override values are taken as given, except strings for non-string fields, which are parsed like the
    environment's. An override naming no field raises UnknownSetting."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, f in _FIELDS.items():
        raw = env.get(f.metadata["env"] or name)
        if raw is None or (raw == "" and not f.metadata["empty_is_value"]):
            continue
        values[name] = _parse(name, raw)
    for name, value in (overrides or {}).items():
        if name not in _FIELDS:
            raise UnknownSetting(name)
        if isinstance(value, str) and _TYPES[name] not in (str, str | None):
            value = _parse(name, value)
        values[name] = value
    instance = Path(values.get("INSTANCE_DIR") or _FIELDS["INSTANCE_DIR"].default)
    for name, default in _UNDER_INSTANCE.items():
        if not values.get(name):
            values[name] = default(instance)
    values["DATABASE_URL"] = normalize_database_url(values["DATABASE_URL"])
    if values.get("DATABASE_REPLICA_URL"):
        values["DATABASE_REPLICA_URL"] = normalize_database_url(values["DATABASE_REPLICA_URL"])
    settings = Settings(**values)
    # A template entry naming an unknown source or keyword type stops the process here, with the entry.
    from server.core.notifications.templates import validate as validate_templates

    validate_templates(settings)
    # Deadlines are computed wherever settings are loaded (web, worker, scheduler, CLI): every process
    # counts working days on the same calendar. A broken file stops the process here, not a deadline later.
    from server.core.timeutil import use_calendar_file

    use_calendar_file(settings.WORKING_DAY_CALENDAR)
    return settings


def defaults() -> Settings:
    """The settings with nothing set in the environment (what a secret must not still be in production)."""
    return load_config(environ={})


# ------------------------------------------------------------------ production secrets

class InsecureSettings(RuntimeError):
    """A production process was about to start on a development default or placeholder secret."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(
            "refusing to start in production (SMART315_ENV=production): "
            + ", ".join(names)
            + " still has its development default or a CHANGE-ME placeholder; set a real secret "
            "in the environment, or SMART315_ENV=development on a development machine"
        )


_SECRET_MARKERS = ("SECRET", "TOKEN", "PASSWORD", "_KEY")
_NOT_SECRETS = {"ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL"}


def _is_secret_name(name: str) -> bool:
    if name in _NOT_SECRETS or name.endswith(("_TTL", "_FILE", "_ID", "_SECONDS")):
        return False
    return name.endswith(_SECRET_MARKERS) or any(m in name for m in ("SECRET", "PASSWORD"))


def insecure_secrets(settings: Mapping[str, Any]) -> list[str]:
    """The names of secret settings that carry their development default or a CHANGE-ME placeholder."""
    defaults = load_config(environ={"SMART315_INSTANCE_DIR": settings.get("INSTANCE_DIR") or str(ROOT / "instance")})
    bad = []
    for name, value in settings.items():
        if not isinstance(value, str) or not value:
            continue
        placeholder = "change-me" in value.lower() or "changeme" in value.lower()
        if name.endswith("_URL") and placeholder:  # e.g. the database password of deploy/env.example
            bad.append(name)
        elif _is_secret_name(name) and (placeholder or value == defaults.get(name)):
            bad.append(name)
    return sorted(bad)


def refuse_insecure_settings(settings: Mapping[str, Any]) -> None:
    """In production (the default), raise InsecureSettings naming every default or placeholder secret."""
    if settings.get("SMART315_ENV") == "development":
        return
    bad = insecure_secrets(settings)
    if bad:
        raise InsecureSettings(bad)


def exit_if_insecure(settings: Settings | None = None) -> Settings:
    """For process entry points: print which setting is insecure and exit with status 2."""
    import sys

    settings = load_config() if settings is None else settings
    try:
        refuse_insecure_settings(settings)
    except InsecureSettings as exc:
        print(f"smart315: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings
