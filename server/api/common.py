"""The thin HTTP edge: request parsing against pydantic schemas, auth, pagination, idempotency, problems.

The `operation` decorator both validates the request and records the schemas for the OpenAPI
document, so the documentation is generated from the same models that validate.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.core.actor import Actor, actor_for_api_key, actor_for_user
from server.core.errors import (
    ApiKeyNotAllowed,
    BadRequest,
    Conflict,
    IdempotencyConflict,
    InvalidToken,
    Unauthorized,
    ValidationFailed,
)
from server.core.models import AuthSession, BusinessMember, IdempotencyRecord, User
from server.core.vocabulary import value_label

# ------------------------------------------------------------------ validation messages

_MESSAGES = {
    "missing": "必填",
    "string_too_short": "内容太短",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "too_long": "最多 {max_length} 项",
    "too_short": "至少 {min_length} 项",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "float_parsing": "必须是数字",
    "bool_parsing": "必须是 true 或 false",
    "bool_type": "必须是 true 或 false",
    "string_type": "必须是文本",
    "list_type": "必须是数组",
    "dict_type": "必须是对象",
    "model_type": "必须是对象",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "greater_than": "必须大于 {gt}",
    "literal_error": "只能是以下之一：{expected}",
    "enum": "只能是以下之一：{expected}",
    "extra_forbidden": "不支持的字段",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "不是合法的 JSON",
}


def pydantic_errors(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
        template = _MESSAGES.get(err["type"])
        ctx = err.get("ctx") or {}
        if err["type"] == "value_error":
            message = str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
        elif template:
            if "expected" in ctx:
                # "'refund', 'return' or 'other'" (a Python repr) → 退款、退货、其他
                values = re.findall(r"'([^']*)'", str(ctx["expected"])) or [str(ctx["expected"])]
                ctx = {**ctx, "expected": "、".join(value_label(v) for v in values)}
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = template
        else:
            message = err.get("msg", "格式不正确")
        out.append({"field": (prefix + loc) or "body", "message": message})
    return out


def parse_json_body() -> Any:
    if not request.get_data(cache=True):
        return {}
    if not request.is_json:
        raise BadRequest("请求体必须是 JSON（Content-Type: application/json）")
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("请求体不是合法的 JSON") from exc
    except RecursionError:
        # Deeply nested arrays/objects exhaust the decoder's stack: hostile input, not a server fault.
        raise BadRequest("请求体 JSON 嵌套层数过深") from None


def validate(model: type[BaseModel], data: Any, prefix: str = "") -> BaseModel:
    if not isinstance(data, dict):
        raise ValidationFailed([{"field": "body", "message": "请求体必须是 JSON 对象"}])
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(pydantic_errors(exc, prefix)) from exc
    too_big = list(_huge_integers(validated.model_dump(), prefix))
    if too_big:  # ids and counts are 32-bit in the database: 2^31 and more was a 500 (issue 15.8)
        raise ValidationFailed([{"field": f or "body", "message": "数值超出范围（应小于 2147483648）"} for f in too_big])
    return validated


INT32_MAX = 2**31 - 1


def _huge_integers(value: Any, path: str):
    """Paths of the integers outside the signed 32-bit range in a validated model's data."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if not -INT32_MAX - 1 <= value <= INT32_MAX:
            yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _huge_integers(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _huge_integers(v, f"{path}.{i}" if path else str(i))


def parse_query(model: type[BaseModel]) -> BaseModel:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    return validate(model, data)


# ------------------------------------------------------------------ auth

def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = current_app.extensions["smart315.db"].Session()
    return g.db_session


def settings() -> dict[str, Any]:
    return current_app.config["SMART315"]


def _load_actor() -> Actor | None:
    if "actor" in g:
        return g.actor
    actor = None
    header = request.headers.get("Authorization", "")
    api_key = request.headers.get("X-Api-Key")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization 头格式应为 Bearer <token>")
        from server.core.identity.tokens import read_access_claims

        uid, version, sid = read_access_claims(settings(), token.strip())
        # The account, whether the token's session is still live, and its business memberships in one
        # statement (one row per membership, or one row with NULLs); read on every request, so an ended
        # session (logout, refresh-token reuse, erasure, deactivation) or a removed member is refused at once.
        live = select(AuthSession.id).where(AuthSession.id == sid, AuthSession.user_id == uid,
                                            AuthSession.ended_at.is_(None)).exists()
        rows = db_session().execute(
            select(User, BusinessMember.business_id, BusinessMember.role, live.label("live"))
            .outerjoin(BusinessMember, BusinessMember.user_id == User.id)
            .where(User.id == uid)
        ).all()
        user = rows[0][0] if rows else None
        if user is None or not rows[0][3] or not user.is_active or user.deleted_at is not None \
                or user.token_version != version:
            raise InvalidToken()
        g.auth_sid = sid
        actor = actor_for_user(db_session(), user,
                               memberships=[(b, role) for _, b, role, _ in rows if b is not None])
    elif api_key:
        from server.core.businesses import authenticate_api_key

        key = authenticate_api_key(db_session(), api_key)
        actor = actor_for_api_key(key.business_id, key.id)
        _touch_api_key(key)
    else:
        web_loader = current_app.extensions.get("smart315.web_actor")
        if web_loader is not None:
            actor = web_loader()
    g.actor = actor
    return actor


def _touch_api_key(key) -> None:
    """Record when a key was last used, at most every five minutes, outside the request's transaction."""
    from datetime import timedelta

    from sqlalchemy import update

    from server.core.models import ApiKey, utcnow

    now = utcnow()
    if key.last_used_at is not None and now - key.last_used_at <= timedelta(minutes=5):
        return
    engine = current_app.extensions["smart315.db"].engine
    logger = current_app.logger
    key_id = key.id  # read now: after the request's commit the row is expired and its session closed

    def touch():  # runs after the request's session is closed, so it never waits on the request's own lock
        try:
            with engine.begin() as conn:
                conn.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        except Exception:  # bookkeeping only: never fail the request for it
            logger.warning("could not record API key use", exc_info=True)

    g.setdefault("after_session", []).append(touch)


def current_actor(required: bool = True) -> Actor | None:
    actor = _load_actor()
    if actor is None and required:
        raise Unauthorized()
    return actor


# ------------------------------------------------------------------ operation decorator

def operation(*, summary: str, body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: Any = None, status: int = 200, auth: str = "required", tags: tuple[str, ...] = (),
              errors: tuple[int, ...] = (), content_type: str = "application/json", idempotent: bool = False,
              extra_responses: dict[int, Any] | None = None, api_key: bool = False):
    """Validate the request and document the operation. auth: required | optional | none.

    api_key: whether a business API key (X-Api-Key) may call it. Keys are for the business's own
    complaint work (listing and reading them, their timeline actions and messages, appeals); every
    other operation answers 403 api_key_not_allowed to a key, so a new endpoint is closed to keys
    unless someone decides otherwise."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            if auth in ("required", "optional"):
                actor = current_actor(required=auth == "required")
                if actor is not None and actor.api_key_id and not api_key:
                    raise ApiKeyNotAllowed("API 密钥只能用于处理本商家的投诉（查看、回复、留言、申诉），"
                                           "此操作请用员工账号登录后进行")
                kwargs["actor"] = actor
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = validate(body, parse_json_body())
            return fn(*args, **kwargs)

        wrapper._openapi = {
            "summary": summary, "body": body, "query": query, "response": response, "status": status,
            "auth": auth, "tags": tags, "errors": errors, "content_type": content_type,
            "idempotent": idempotent, "extra_responses": extra_responses or {}, "api_key": api_key,
        }
        return wrapper

    return decorate


# ------------------------------------------------------------------ pagination

def paginate(session: Session, stmt, page: int, per_page: int, serialize: Callable[[Any], dict],
             prefetch: Callable[[list], None] | None = None) -> dict[str, Any]:
    """prefetch: called with the page's rows before serializing (to read what they need in one query)."""
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).scalars().all()
    if prefetch is not None and rows:
        prefetch(rows)
    return {"items": [serialize(r) for r in rows], "page": page, "per_page": per_page, "total": total}


# ------------------------------------------------------------------ idempotency

def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not (1 <= len(key) <= 128) or not key.isprintable():
        raise ValidationFailed([{"field": "Idempotency-Key", "message": "幂等键长度应为 1 到 128 个可见字符"}])
    return key


def run_idempotent(actor: Actor, endpoint: str, create: Callable[[], tuple[dict, int]]):
    """Run `create` once per (caller, Idempotency-Key); replay the first response for the same body.

    The record is written in the same transaction as what `create` wrote, so a crash can never
    leave a created object without its key, nor a key without its object.
    """
    session = db_session()
    key = idempotency_key()
    if key is None:
        result, status = create()
        session.commit()
        return result, status
    body_hash = hashlib.sha256(request.get_data(cache=True)).hexdigest()
    scope = actor.scope

    def replay(rec: IdempotencyRecord):
        if rec.request_hash != body_hash or rec.endpoint != endpoint:
            raise IdempotencyConflict("该幂等键已用于内容不同的请求")
        return json.loads(rec.response_body), rec.status_code

    def recorded() -> IdempotencyRecord | None:
        return session.execute(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)).scalar_one_or_none()

    def replay_concurrent(exc: Exception):
        # A concurrent copy with the same key committed first (a retry sent before the first answer
        # arrived: a Conflict from the row it changed, or the key's unique index): answer as it did.
        session.rollback()
        existing = recorded()
        if existing is None:
            raise exc
        return replay(existing)

    existing = recorded()
    if existing is not None:
        return replay(existing)
    try:
        result, status = create()
    except Conflict as exc:
        return replay_concurrent(exc)
    session.add(IdempotencyRecord(scope=scope, key=key, endpoint=endpoint, request_hash=body_hash,
                                  status_code=status, response_body=json.dumps(result, ensure_ascii=False)))
    try:
        session.commit()
    except IntegrityError as exc:
        return replay_concurrent(exc)
    return result, status
