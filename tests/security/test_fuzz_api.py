"""Property-based fuzzing of the whole /api/v1 with schemathesis, from the served OpenAPI document.

Every operation gets FUZZ_EXAMPLES generated requests (default 20, so CI stays bounded), sent
in-process to the WSGI app as a signed-in consumer and as an admin (issue 15: both roles, bounded by
FUZZ_EXAMPLES; ADMIN_FUZZ_EXAMPLES, default half of it, for the admin pass), and every answer must: not be a 5xx, use a
status code the document lists, carry the documented content type, and match the documented
schema. The document is fetched from /api/v1/openapi.json, so what is checked is what clients read.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.security.world import build_world

# make test-fast leaves this out; make test and CI run it: schemathesis over every operation, as two roles, a fresh world each.
pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
EXAMPLES_BY_ROLE = {"consumer": EXAMPLES,
                    "admin": int(os.environ.get("ADMIN_FUZZ_EXAMPLES") or max(1, EXAMPLES // 2))}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _operation_ids() -> list[str]:
    from server.api.openapi import build_spec
    from server.app import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "EMBEDDED_WORKER": False})  # nothing connects here
    spec = build_spec(app)
    return sorted(op["operationId"] for path in spec["paths"].values() for op in path.values())


OPERATIONS = _operation_ids()
# Operations that call WeChat or Alipay run against the wire-level simulators, so a generated code is
# refused by the (simulated) upstream as it would be in production, not by a closed port.
UPSTREAM_OPS = ("identity.wechat_login", "identity.alipay_login", "identity.bind_phone_wechat",
                "identity.create_wechat_binding")


@pytest.fixture
def settings_overrides(settings_overrides, request):
    over = {**settings_overrides, "SMS_PROVIDER": "console",
            "WECHAT_API_BASE_URL": "http://127.0.0.1:9", "ALIPAY_GATEWAY_URL": "http://127.0.0.1:9/gateway.do",
            # Fuzzing sends many sign-in attempts from one address: the limits are tested elsewhere.
            "LOGIN_LIMIT_PER_IP": 100000, "LOGIN_LIMIT_PER_SUBJECT": 100000,
            "SMS_SEND_LIMIT_PER_IP": 100000, "SMS_SEND_LIMIT_PER_PHONE": 100000}
    op = request.node.callspec.params.get("operation_id", "")
    if op.rsplit(".", 1)[0] in UPSTREAM_OPS:
        wechat = request.getfixturevalue("wechat_sim").settings
        alipay = request.getfixturevalue("alipay_sim").settings
        for key in ("WECHAT_API_BASE_URL", "WECHAT_TIMEOUT_SECONDS"):
            over[key] = wechat[key]
        for key in ("ALIPAY_GATEWAY_URL", "ALIPAY_APP_PRIVATE_KEY_FILE", "ALIPAY_PUBLIC_KEY_FILE",
                    "ALIPAY_TIMEOUT_SECONDS"):
            over[key] = alipay[key]
    return over


@pytest.mark.parametrize("role", ["consumer", "admin"])
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_fuzz_operation(app, client, operation_id, role):
    world = build_world(app, client)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_id(operation_id)
    headers = world.headers(role)

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_BY_ROLE[role], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
