"""The v1 JSON API under /api/v1: one blueprint module per resource."""
from __future__ import annotations

import importlib

from flask import Blueprint, Flask

API_PREFIX = "/api/v1"

# Each module defines `bp`; add new resources here.
MODULES = [
    "server.api.openapi",
    "server.api.auth",
    "server.api.me",
    "server.api.reference",
    "server.api.businesses",
    "server.api.complaints",
    "server.api.uploads",
    "server.api.admin",
    "server.api.assist",
    "server.api.public",
    "server.api.identity",
    "server.api.notifications",
    "server.api.appeals",
    "server.api.wechat_mini",
    "server.api.legal",
    "server.api.publication",
    "server.api.accounts_admin",
    "server.api.casefile",
    "server.api.contact",
    "server.api.collective",
]


def register_api(app: Flask) -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        bp: Blueprint = module.bp
        app.register_blueprint(bp, url_prefix=API_PREFIX)
        root_bp: Blueprint | None = getattr(module, "root_bp", None)
        if root_bp is not None:  # URLs fixed by an outside party, e.g. the WeChat OA callback
            app.register_blueprint(root_bp)
