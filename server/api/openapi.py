"""OpenAPI 3.1 generated from the pydantic models that validate requests; served at /api/v1/openapi.json."""
from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel, TypeAdapter

bp = Blueprint("openapi", __name__)

_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "code": {"type": "string"}, "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"}}}},
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
    },
}


def _schema(components: dict[str, Any], model: Any) -> dict[str, Any]:
    if model is None:
        return {}
    if isinstance(model, dict):
        return model
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    else:
        schema = TypeAdapter(model).json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    if isinstance(model, type) and issubclass(model, BaseModel):
        components[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}
    return schema


def _input_schema(components: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="validation")
    for name, sub in schema.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components[model.__name__ + "Input"] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}Input"}


def build_spec(app: Flask) -> dict[str, Any]:
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    paths: dict[str, Any] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        meta = getattr(view, "_openapi", None)
        if meta is None or not rule.rule.startswith("/api/v1"):
            continue
        path = _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", rule.rule[len("/api/v1"):] or "/")
        params = []
        for m in _CONVERTER.finditer(rule.rule):
            kind = {"int": "integer"}.get(m.group(1) or "", "string")
            schema: dict[str, Any] = {"type": kind}
            if kind == "integer":
                schema["minimum"] = 0
                schema["maximum"] = 2**31 - 1  # ids are 32-bit; larger ones are answered 404 (server/security.py)
            elif m.group(1) is None and "." not in rule.rule.split(m.group(0))[1][:1]:
                schema["pattern"] = "^[^/]+$"
            params.append({"name": m.group(2), "in": "path", "required": True, "schema": schema})
        if meta["query"] is not None:
            qs = meta["query"].model_json_schema(mode="validation")
            for name, prop in qs.get("properties", {}).items():
                prop = {k: v for k, v in prop.items() if k != "title"}
                params.append({"name": name, "in": "query", "required": name in qs.get("required", []), "schema": prop})
        if meta["idempotent"]:
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "minLength": 1, "maxLength": 128}})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "summary": meta["summary"],
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "tags": list(meta["tags"]) or [rule.endpoint.split(".")[0]],
                "parameters": params,
                "responses": {},
            }
            if meta["body"] is not None:
                op["requestBody"] = {"required": True, "content": {"application/json": {
                    "schema": _input_schema(components, meta["body"])}}}
            if meta.get("multipart"):
                op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": meta["multipart"]}}}
            ok: dict[str, Any] = {"description": "OK"}
            if meta["status"] != 204:
                if meta["content_type"] == "application/json":
                    ok["content"] = {"application/json": {"schema": _schema(components, meta["response"]) or {}}}
                else:
                    ok["content"] = {meta["content_type"]: {"schema": {"type": "string"}}}
                # Alternative representations of the same answer, e.g. an SSE stream (set on view._openapi).
                for ctype, alt_schema in (meta.get("alt_content") or {}).items():
                    ok.setdefault("content", {})[ctype] = {"schema": alt_schema}
            op["responses"][str(meta["status"])] = ok
            for status, model in meta["extra_responses"].items():
                op["responses"][str(status)] = {"description": "OK", "content": {
                    "application/json": {"schema": _schema(components, model)}}}
            # Every answer the app can give is documented (issue 15.8): 414 for a long query string anywhere,
            # 413/415 wherever a body is read, 404 for an id out of range, 401 for a bad optional credential.
            error_statuses = set(meta["errors"]) | {400, 414, 422, 429}
            if "requestBody" in op:
                error_statuses |= {413, 415}
            if _CONVERTER.search(rule.rule):
                error_statuses |= {404}
            if meta["auth"] in ("required", "optional") and not meta.get("api_key"):
                error_statuses |= {403}  # api_key_not_allowed
            if meta["auth"] == "required":
                error_statuses |= {401}
                op["security"] = [{"bearer": []}, {"apiKey": []}] if meta.get("api_key") else [{"bearer": []}]
            elif meta["auth"] == "optional":
                error_statuses |= {401}
                op["security"] = ([{"bearer": []}, {"apiKey": []}, {}] if meta.get("api_key")
                                  else [{"bearer": []}, {}])
            for status in sorted(error_statuses):
                op["responses"][str(status)] = {"description": "Problem", "content": {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Smart315 API", "version": "1", "description":
                 "智慧3·15 消费维权平台接口。错误均为 RFC 9457 problem+json，带稳定的 code。"},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
    }


@bp.get("/openapi.json")
def openapi_json():
    spec = current_app.extensions.get("smart315.openapi")
    if spec is None:
        spec = current_app.extensions["smart315.openapi"] = build_spec(current_app)
    return jsonify(spec)
