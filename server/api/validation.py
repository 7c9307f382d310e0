"""Request parsing against pydantic schemas: JSON bodies and query strings, with Chinese messages per field.

A failure raises ValidationFailed or BadRequest, which server/errors_http.py answers as problem JSON.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from pydantic import BaseModel, ValidationError

from server.core.errors import BadRequest, ValidationFailed
from server.core.vocabulary import value_label

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
