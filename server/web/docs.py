"""Human-readable API docs at /docs, rendered from the same OpenAPI document (no CDN, no JS, styles from a static file so the CSP needs no inline style)."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, render_template_string

from server.api.openapi import build_spec

bp = Blueprint("docs", __name__)

TEMPLATE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>Smart315 API 文档</title>
<link rel="stylesheet" href="/static/css/docs.css"></head><body>
<h1>Smart315 API v1</h1><p>{{ spec.info.description }} 机器可读文档：<a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>
{% for path, ops in spec.paths.items() %}{% for method, op in ops.items() %}
<div class="op"><span class="m {{ method }}">{{ method|upper }}</span><code>/api/v1{{ path }}</code> — {{ op.summary }}
<details><summary>请求与响应</summary>
{% if op.parameters %}<p>参数：{% for p in op.parameters %}<code>{{ p.name }}</code>（{{ p['in'] }}{% if p.required %}，必填{% endif %}） {% endfor %}</p>{% endif %}
{% if op.requestBody %}<p>请求体：</p><pre>{{ dump(op.requestBody) }}</pre>{% endif %}
<p>响应状态：{{ op.responses.keys()|join("、") }}</p></details></div>
{% endfor %}{% endfor %}</body></html>"""


@bp.get("/docs")
def docs():
    spec = current_app.extensions.get("smart315.openapi") or build_spec(current_app)
    return render_template_string(TEMPLATE, spec=spec, dump=lambda o: json.dumps(o, ensure_ascii=False, indent=1))
