"""Every error leaves as an RFC 9457 problem document: never a stack trace, never an HTML page."""
from __future__ import annotations

import logging

from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

from server.core.errors import DomainError, RateLimited

log = logging.getLogger("smart315.errors")

_HTTP_CODES = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "无法提供所需格式"),
    409: ("conflict", "与当前状态冲突"),
    413: ("payload_too_large", "提交的内容过大"),
    414: ("uri_too_long", "请求地址过长"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
    500: ("internal_error", "服务器开小差了，请稍后再试"),
    503: ("service_unavailable", "服务暂时不可用，请稍后再试"),
}


def problem(status: int, code: str, title: str, detail: str | None = None, **extra) -> Response:
    body = {"type": f"https://smart315.org/problems/{code}", "title": title, "status": status,
            "detail": detail or title, "code": code}
    rid = getattr(g, "request_id", None)
    if rid:
        body["instance"] = f"urn:request:{rid}"
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    return resp


def _rollback() -> None:
    s = g.pop("db_session", None)
    if s is not None:
        try:
            s.rollback()
        finally:
            s.close()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        _rollback()
        resp = problem(exc.status, exc.code, exc.title, exc.detail, **exc.extra)
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        _rollback()
        status = exc.code or 500
        code, title = _HTTP_CODES.get(status, ("http_error", exc.name))
        if status == 404:
            detail = "请求的地址不存在"
        elif status == 405:
            detail = f"{request.method} 不适用于该地址"
        elif status == 413:
            detail = "请求体超过大小限制"
        else:
            detail = title
        resp = problem(status, code, title, detail)
        if status == 429:
            retry = getattr(exc, "retry_after", None) or 60
            resp.headers["Retry-After"] = str(int(retry))
        if status == 405 and getattr(exc, "valid_methods", None):
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        _rollback()
        from sqlalchemy.exc import InterfaceError, OperationalError
        from sqlalchemy.exc import TimeoutError as PoolTimeout

        if isinstance(exc, (OperationalError, InterfaceError, PoolTimeout)):
            log.warning("database unavailable: %s", type(exc).__name__)
            resp = problem(503, "service_unavailable", "服务暂时不可用，请稍后重试", "数据库暂时不可用")
            resp.headers["Retry-After"] = "5"
            return resp
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "internal_error", "服务器开小差了，请稍后再试")
