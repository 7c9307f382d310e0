"""The `operation` decorator: checks the caller, validates the request and records the schemas for the
OpenAPI document, so the documentation is generated from the same models that validate."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from server.api.credentials import current_actor
from server.api.validation import parse_json_body, parse_query, validate
from server.core.errors import ApiKeyNotAllowed


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
