"""Idempotency-Key: a create retried with the same key and body is answered as the first time, once."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.api.context import db_session
from server.core.actor import Actor
from server.core.errors import Conflict, IdempotencyConflict, ValidationFailed
from server.core.models import IdempotencyRecord


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
