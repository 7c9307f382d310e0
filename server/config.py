"""Configuration from the environment only (names in API.md); nothing connects at import time."""
from __future__ import annotations

import json
import os
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


def _json_obj(value: str | None, default: dict[str, str]) -> dict[str, str]:
    if not value:
        return dict(default)
    parsed = json.loads(value)
    if not isinstance(parsed, dict):
        raise ValueError("template configuration must be a JSON object")
    return {str(k): str(v) for k, v in parsed.items()}


def normalize_database_url(url: str) -> str:
    """Let a plain postgresql:// URL work as given: we use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+psycopg://" + url[len("postgresql+psycopg2://"):]
    return url


def load_config(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the settings mapping from the environment, then apply explicit overrides (tests)."""
    env = dict(os.environ if environ is None else environ)
    instance = Path(env.get("SMART315_INSTANCE_DIR", ROOT / "instance"))
    cfg: dict[str, Any] = {
        "SMART315_ENV": (env.get("SMART315_ENV") or "production").strip().lower(),
        "INSTANCE_DIR": str(instance),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'smart315.sqlite3'}",
        "DATABASE_REPLICA_URL": env.get("DATABASE_REPLICA_URL") or None,
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Connections per process: each gunicorn worker and thread, worker and scheduler has its own pool.
        "DATABASE_POOL_SIZE": int(env.get("DATABASE_POOL_SIZE") or 10),
        "DATABASE_MAX_OVERFLOW": int(env.get("DATABASE_MAX_OVERFLOW") or 20),
        # Behind PgBouncer in transaction mode: no server-side prepared statements.
        "DATABASE_PGBOUNCER": _bool(env.get("DATABASE_PGBOUNCER"), default=False),
        "SECRET_KEY": env.get("SECRET_KEY") or "dev-secret-key-change-me",
        "FIELD_ENCRYPTION_KEY": env.get("FIELD_ENCRYPTION_KEY") or "dev-field-key-change-me",
        "WECHAT_MINI_APPID": env.get("WECHAT_MINI_APPID") or "wx-mini-dev-appid",
        "WECHAT_MINI_SECRET": env.get("WECHAT_MINI_SECRET") or "wx-mini-dev-secret",
        "WECHAT_OA_APPID": env.get("WECHAT_OA_APPID") or "wx-oa-dev-appid",
        "WECHAT_OA_SECRET": env.get("WECHAT_OA_SECRET") or "wx-oa-dev-secret",
        "WECHAT_OA_TOKEN": env.get("WECHAT_OA_TOKEN") or "smart315devtoken",
        "WECHAT_OA_AES_KEY": env.get("WECHAT_OA_AES_KEY") or None,
        "WECHAT_API_BASE_URL": env.get("WECHAT_API_BASE_URL") or "https://api.weixin.qq.com",
        "WECHAT_TIMEOUT_SECONDS": float(env.get("WECHAT_TIMEOUT_SECONDS") or 5),
        "ALIPAY_APPID": env.get("ALIPAY_APPID") or "2021000000000000",
        "ALIPAY_APP_PRIVATE_KEY_FILE": env.get("ALIPAY_APP_PRIVATE_KEY_FILE") or None,
        "ALIPAY_PUBLIC_KEY_FILE": env.get("ALIPAY_PUBLIC_KEY_FILE") or None,
        "ALIPAY_GATEWAY_URL": env.get("ALIPAY_GATEWAY_URL") or "https://openapi.alipay.com/gateway.do",
        "ALIPAY_TIMEOUT_SECONDS": float(env.get("ALIPAY_TIMEOUT_SECONDS") or 5),
        "SMS_PROVIDER": env.get("SMS_PROVIDER") or "console",
        "SMS_ACCESS_KEY_ID": env.get("SMS_ACCESS_KEY_ID") or None,
        "SMS_ACCESS_KEY_SECRET": env.get("SMS_ACCESS_KEY_SECRET") or None,
        "SMS_SIGN_NAME": env.get("SMS_SIGN_NAME") or "智慧三一五",
        "SMS_TEMPLATE_CODE": env.get("SMS_TEMPLATE_CODE") or "SMS_000000",
        "SMS_ENDPOINT": env.get("SMS_ENDPOINT") or "https://dysmsapi.aliyuncs.com",
        "SMS_REGION_ID": env.get("SMS_REGION_ID") or "cn-hangzhou",
        "SMS_TIMEOUT_SECONDS": float(env.get("SMS_TIMEOUT_SECONDS") or 5),
        "LLM_BASE_URL": env.get("LLM_BASE_URL") or None,
        "LLM_API_KEY": env.get("LLM_API_KEY") or None,
        "LLM_MODEL": env.get("LLM_MODEL") or "deepseek-flash",
        "LLM_TIMEOUT_SECONDS": float(env.get("LLM_TIMEOUT_SECONDS") or 8),
        # --- assist: model use bounded (issue 20 item 4); 0 = no budget
        "LLM_MAX_TOKENS": int(env.get("LLM_MAX_TOKENS") or 1200),
        "LLM_STREAM_SECONDS": float(env.get("LLM_STREAM_SECONDS") or 60),
        "LLM_DAILY_TOKEN_BUDGET": int(env.get("LLM_DAILY_TOKEN_BUDGET") or 2_000_000),
        "LLM_CALLER_DAILY_TOKEN_BUDGET": int(env.get("LLM_CALLER_DAILY_TOKEN_BUDGET") or 100_000),
        "ASSIST_MAX_STREAMS": int(env.get("ASSIST_MAX_STREAMS") or 2),
        "ASSIST_WARM_INDEX": _bool(env.get("ASSIST_WARM_INDEX"), default=True),
        "ASSIST_INDEX_CACHE_DIR": env.get("ASSIST_INDEX_CACHE_DIR") or str(instance / "cache"),
        "UPLOAD_DIR": env.get("UPLOAD_DIR") or str(instance / "uploads"),
        "UPLOAD_MAX_BYTES": int(env.get("UPLOAD_MAX_BYTES") or 10 * 1024 * 1024),
        # --- storage --- evidence files: local directory (UPLOAD_DIR) or an S3-compatible bucket
        "UPLOAD_STORAGE": (env.get("UPLOAD_STORAGE") or "local").strip().lower(),
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_BUCKET": env.get("S3_BUCKET") or None,
        "S3_REGION": env.get("S3_REGION") or None,
        "S3_ACCESS_KEY_ID": env.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": env.get("S3_SECRET_ACCESS_KEY") or None,
        "S3_ADDRESSING_STYLE": (env.get("S3_ADDRESSING_STYLE") or "auto").strip().lower(),
        "S3_TIMEOUT_SECONDS": float(env.get("S3_TIMEOUT_SECONDS") or 10),
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": _bool(env.get("WEBHOOK_ALLOW_PRIVATE_NETWORKS")),
        "TRUSTED_PROXIES": int(env.get("TRUSTED_PROXIES") or 0),
        "CORS_ORIGINS": [o.strip() for o in (env.get("CORS_ORIGINS") or "").split(",") if o.strip()],
        "WECHAT_SUBSCRIBE_TEMPLATES": _json_obj(env.get("WECHAT_SUBSCRIBE_TEMPLATES"), DEFAULT_WECHAT_SUBSCRIBE_TEMPLATES),
        "WECHAT_OA_TEMPLATES": _json_obj(env.get("WECHAT_OA_TEMPLATES"), DEFAULT_WECHAT_OA_TEMPLATES),
        "ALIPAY_SUBSCRIBE_TEMPLATES": _json_obj(env.get("ALIPAY_SUBSCRIBE_TEMPLATES"), DEFAULT_ALIPAY_SUBSCRIBE_TEMPLATES),
        "ACCESS_TOKEN_TTL": int(env.get("ACCESS_TOKEN_TTL") or 900),
        "REFRESH_TOKEN_TTL": int(env.get("REFRESH_TOKEN_TTL") or 30 * 24 * 3600),
        "RESPONSE_DEADLINE_WORKING_DAYS": int(env.get("RESPONSE_DEADLINE_WORKING_DAYS") or 10),
        "ACCEPT_DEADLINE_WORKING_DAYS": int(env.get("ACCEPT_DEADLINE_WORKING_DAYS") or 7),
        "CONFIRM_DEADLINE_DAYS": int(env.get("CONFIRM_DEADLINE_DAYS") or 7),
        "CLOSE_AFTER_DAYS": int(env.get("CLOSE_AFTER_DAYS") or 15),
        # lifecycle: a resolved or closed complaint may be reopened by its consumer this many days after its end
        "REOPEN_DAYS": int(env.get("REOPEN_DAYS") or 30),
        # lifecycle: days the consumer has to supplement requested materials before the complaint is rejected
        "MATERIALS_DAYS": int(env.get("MATERIALS_DAYS") or 10),
        # authz: how long an invitation to join a business's staff may be accepted
        "INVITATION_DAYS": int(env.get("INVITATION_DAYS") or 7),
        "DEADLINE_SOON_HOURS": int(env.get("DEADLINE_SOON_HOURS") or 48),
        "PUBLIC_CACHE_SECONDS": float(env.get("PUBLIC_CACHE_SECONDS") or 120),
        "PUBLIC_FAST_PATH": _bool(env.get("PUBLIC_FAST_PATH"), default=True),
        # Cache-Control max-age of public JSON (seconds); clients revalidate with the ETag after it.
        "PUBLIC_HTTP_MAX_AGE": int(env.get("PUBLIC_HTTP_MAX_AGE") or 15),
        "WORKING_DAY_CALENDAR": env.get("WORKING_DAY_CALENDAR") or None,
        "SCHEDULER_INTERVAL_SECONDS": int(env.get("SCHEDULER_INTERVAL_SECONDS") or 60),
        # Periodic jobs this deployment does not run (names as `smart315 jobs` lists them; server/tasks/jobs.py).
        "SCHEDULER_DISABLED_JOBS": [n.strip() for n in (env.get("SCHEDULER_DISABLED_JOBS") or "").split(",")
                                    if n.strip()],
        "EMBEDDED_WORKER": _bool(env.get("EMBEDDED_WORKER"), default=True),
        "SENTRY_DSN": env.get("SENTRY_DSN") or None,
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000",
        # Filing numbers every site served in mainland China shows in its footer (ICP 备案, 公安联网备案).
        "ICP_NUMBER": env.get("ICP_NUMBER") or "",
        "PUBLIC_SECURITY_RECORD": env.get("PUBLIC_SECURITY_RECORD") or "",
        "SESSION_COOKIE_SECURE": _bool(env.get("SESSION_COOKIE_SECURE")),
        "MAX_CONTENT_LENGTH": int(env.get("MAX_CONTENT_LENGTH") or 12 * 1024 * 1024),
        # --- moderation (issue 14 item 3) ---
        "MODERATION_PROVIDER": (env.get("MODERATION_PROVIDER") or "local").strip().lower(),
        "MODERATION_WORDS_FILE": env.get("MODERATION_WORDS_FILE") or None,
        "WECHAT_MINI_PUSH_TOKEN": env.get("WECHAT_MINI_PUSH_TOKEN") or "smart315minipushdev",
        "WECHAT_MINI_PUSH_AES_KEY": env.get("WECHAT_MINI_PUSH_AES_KEY") or None,
        "WECHAT_MINI_PUSH_MAX_AGE_SECONDS": int(env.get("WECHAT_MINI_PUSH_MAX_AGE_SECONDS") or 300),
        # --- hardening ---
        "WECHAT_CALLBACK_WINDOW_SECONDS": int(env.get("WECHAT_CALLBACK_WINDOW_SECONDS") or 300),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
        "MAX_QUERY_STRING_BYTES": int(env.get("MAX_QUERY_STRING_BYTES") or 4096),
        # sessions: sign-in captchas and failure counting
        "SMS_CAPTCHA_AFTER": int(env.get("SMS_CAPTCHA_AFTER") or 1),
        "CAPTCHA_TTL_SECONDS": int(env.get("CAPTCHA_TTL_SECONDS") or 300),
        "CAPTCHA_LIMIT_PER_IP": int(env.get("CAPTCHA_LIMIT_PER_IP") or 60),
        "LOGIN_CAPTCHA_AFTER": int(env.get("LOGIN_CAPTCHA_AFTER") or 3),
        "LOGIN_CAPTCHA_AFTER_PER_IP": int(env.get("LOGIN_CAPTCHA_AFTER_PER_IP") or 10),
        "LOGIN_FAILURE_WINDOW_SECONDS": int(env.get("LOGIN_FAILURE_WINDOW_SECONDS") or 900),
        # --- abuse (API.md "Abuse controls"): limits in `limits` notation, `;` between windows; empty = none
        "COMPLAINT_RATE_LIMIT": env.get("COMPLAINT_RATE_LIMIT", "5/hour;20/day"),
        "ASSIST_RATE_LIMIT": env.get("ASSIST_RATE_LIMIT", "30/minute"),
        "UPLOAD_RATE_LIMIT": env.get("UPLOAD_RATE_LIMIT", "60/hour;300/day"),
        "MESSAGE_RATE_LIMIT": env.get("MESSAGE_RATE_LIMIT", "30/hour;200/day"),
        # casefile: POST /reports per account
        "REPORT_RATE_LIMIT": env.get("REPORT_RATE_LIMIT", "10/hour;30/day"),
        "DUPLICATE_COMPLAINT_THRESHOLD": float(env.get("DUPLICATE_COMPLAINT_THRESHOLD") or 0.9),
        "CLAIMANT_WINDOW_DAYS": int(env.get("CLAIMANT_WINDOW_DAYS") or 30),
        "CLAIMANT_MIN_BUSINESSES": int(env.get("CLAIMANT_MIN_BUSINESSES") or 3),
        "CLAIMANT_SIMILARITY": float(env.get("CLAIMANT_SIMILARITY") or 0.8),
        # --- audit: the timeline's keyed chain (HMAC key, never stored in the database) and signed checkpoints.
        # The default key is for development only; production must set its own.
        "AUDIT_KEY": env.get("AUDIT_KEY") or "dev-audit-key-change-me",
        "AUDIT_SIGNING_KEY_FILE": env.get("AUDIT_SIGNING_KEY_FILE") or str(instance / "audit-signing-key.pem"),
        "AUDIT_CHECKPOINT_DIR": env.get("AUDIT_CHECKPOINT_DIR") or str(instance / "audit-checkpoints"),
    }
    if overrides:
        cfg.update(overrides)
    cfg["DATABASE_URL"] = normalize_database_url(cfg["DATABASE_URL"])
    if cfg.get("DATABASE_REPLICA_URL"):
        cfg["DATABASE_REPLICA_URL"] = normalize_database_url(cfg["DATABASE_REPLICA_URL"])
    # Deadlines are computed wherever settings are loaded (web, worker, scheduler, CLI): every process
    # counts working days on the same calendar. A broken file stops the process here, not a deadline later.
    from server.core.timeutil import use_calendar_file

    use_calendar_file(cfg.get("WORKING_DAY_CALENDAR"))
    return cfg


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


def insecure_secrets(settings: dict[str, Any]) -> list[str]:
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


def refuse_insecure_settings(settings: dict[str, Any]) -> None:
    """In production (the default), raise InsecureSettings naming every default or placeholder secret."""
    if settings.get("SMART315_ENV", "production") == "development":
        return
    bad = insecure_secrets(settings)
    if bad:
        raise InsecureSettings(bad)


def exit_if_insecure(settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """For process entry points: print which setting is insecure and exit with status 2."""
    import sys

    settings = load_config() if settings is None else settings
    try:
        refuse_insecure_settings(settings)
    except InsecureSettings as exc:
        print(f"smart315: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return settings
