"""The authorization matrix: every /api/v1 endpoint in app.url_map x every role, against own and foreign objects.

RULES is keyed by endpoint name. An endpoint in the route table without a rule fails
`test_every_endpoint_has_a_rule`, so a new endpoint cannot ship without someone deciding who may call it.

Each rule maps every role to the status it must get. Roles and objects are in tests/security/world.py:
the consumer's complaint C is against business X (in 1101, forwarded to X); the "other" roles are the
foreign side (another consumer, staff of another business, a mediator of another region). Objects a
role may not see answer 404 (their existence is not revealed); operations on a business the caller is
not allowed to manage answer 403 (businesses are public anyway); no credentials answer 401.

Credential kinds (issue 15.1) are roles too: API keys of X, of Y and a revoked one, and the consumer's browser
session cookie with and without its CSRF header. Their expectations are derived from the user roles unless a
rule names them: on an operation declared `api_key=True` a key gets what its business's owner gets, on any other
403 (api_key_not_allowed); a revoked key gets 401 wherever credentials are read; the cookie gets what the
consumer gets, except 403 (csrf_failed) on a state-changing call without the CSRF header. Operations that read
no credentials (auth="none") answer them as they answer the anonymous caller and are not called again with them.

Read-only rules run in one shared world. Rules that change state run the refused roles first in one
world (a refusal must not change anything), then each allowed role in a fresh world.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import reset_database
from tests.security.world import (
    API_KEY_ROLES,
    COOKIE_ROLES,
    ROLES,
    STANDS_FOR,
    USER_ROLES,
    World,
    build_world,
    png_bytes,
    url_args,
)

UPSTREAM = (502, 503)  # WeChat / Alipay are not running in this test: allowed callers reach the upstream call


def everyone(status, **over) -> dict[str, Any]:
    return {r: over.get(r, status) for r in USER_ROLES} | {r: over[r] for r in over if r not in USER_ROLES}


def signed_in(status, **over) -> dict[str, Any]:
    return {"anonymous": 401, **{r: over.get(r, status) for r in USER_ROLES if r != "anonymous"},
            **{r: over[r] for r in over if r not in USER_ROLES}}


def only(allowed: dict[str, Any], denied=403) -> dict[str, Any]:
    return {"anonymous": 401, **{r: allowed.get(r, denied) for r in USER_ROLES if r != "anonymous"},
            **{r: allowed[r] for r in allowed if r not in USER_ROLES}}


# Who can see complaint C (consumer -> X, forwarded): the consumer, X's staff, the region's mediator, admin.
SEES_C = {"consumer": 200, "staff": 200, "mediator_in": 200, "admin": 200}


@dataclass
class Rule:
    expect: dict[str, Any]
    json: Any = None  # dict or callable(world, role) -> dict
    data: Callable[[], dict] | None = None  # multipart form
    query: dict[str, Any] | Callable[[World, str], dict] | None = None
    args: dict[str, Any] = field(default_factory=dict)  # URL variables: World attribute names or values
    mutates: bool = False
    self_only: bool = False  # the change touches only the caller's own account: allowed roles may share a world
    check: Callable[[World, str, Any], None] | None = None  # extra assertion on an allowed answer


def _sees_complaints(expected: dict[str, set[str]]):
    def check(world: World, role: str, resp):
        ids = {item["id"] for item in resp.get_json()["items"]}
        names = {"C": world.complaint, "D": world.other_complaint, "U": world.under_review, "R": world.rejected}
        want = expected[role] if role in expected else expected[STANDS_FOR[role]]
        got = {n for n, i in names.items() if i in ids}
        assert ids == {names[n] for n in want}, (role, "sees", sorted(got), "should see", sorted(want))
    return check


def _inbox_check(world: World, role: str, resp):
    ids = {n["id"] for n in resp.get_json()["items"]}
    assert (world.notification in ids) == (STANDS_FOR.get(role, role) == "consumer"), (role, ids)


def _industry_name(world: World, role: str) -> dict:
    return {"name": world.industry_name}


RULES: dict[str, Rule] = {
    # ---- public reference data and documents
    "openapi.openapi_json": Rule(everyone(200)),
    "reference.categories": Rule(everyone(200)),
    "reference.industries": Rule(everyone(200)),
    "reference.regions": Rule(everyone(200)),
    "reference.vocabulary": Rule(everyone(200)),
    "legal.legal": Rule(everyone(200)),
    "reference.public_rules": Rule(everyone(200)),
    "legal.get_consents": Rule(signed_in(200)),
    "legal.post_consent": Rule(signed_in(201), json=lambda w, r: {"document": "privacy", "version": "2026-12-01"},
                               mutates=True, self_only=True),
    "notifications.client_config": Rule(everyone(200)),
    "businesses.search": Rule(everyone(200)),
    "businesses.profile": Rule(everyone(200)),
    "assist.classify_view": Rule(everyone(200), json={"text": "买的手机屏幕有坏点，商家不给退货"}),
    "assist.consult_view": Rule(everyone(200), json={"question": "网购七天无理由退货怎么规定的？"}),
    # ---- sign-in: wrong credentials fail the same way whoever asks
    # After LOGIN_CAPTCHA_AFTER failures for the account the answer is 428 captcha_required (no lock-out).
    "auth.password_login": Rule(everyone((401, 428)), json={"username": "med_in", "password": "wrong-password-1"}),
    "auth.refresh": Rule(everyone(401), json={"refresh_token": "not-a-real-refresh-token"}),
    "auth.logout": Rule(signed_in(204), json={}, mutates=True, self_only=True),
    "identity.sms_send": Rule(everyone(202), json=lambda w, role: {"phone": f"1370000{ROLES.index(role):04d}"}),
    "identity.sms_login": Rule(everyone((400, 401, 422)), json={"phone": "13700009999", "code": "000000"}),
    "identity.wechat_login": Rule(everyone(UPSTREAM), json={"code": "wx-code-123"}),
    "identity.alipay_login": Rule(everyone(UPSTREAM), json={"auth_code": "ali-code-123"}),
    # ---- the signed-in user
    "me.get_me": Rule(signed_in(200)),
    "me.patch_me": Rule(signed_in(200), json={"display_name": "新昵称"}),
    # The only owner of a business must hand it over before erasing the account (409).
    "me.delete_me": Rule(signed_in(204, staff=409, other_staff=409), mutates=True, self_only=True),
    "identity.bind_phone_wechat": Rule(signed_in(UPSTREAM), json={"phone_code": "wx-phone-code"}),
    "notifications.report_subscriptions": Rule(signed_in(204), json={
        "channel": "wechat", "template_ids": ["wx-sub-forwarded-dev"], "accepted": ["wx-sub-forwarded-dev"]}),
    "notifications.inbox": Rule(signed_in(200), check=_inbox_check),
    "notifications.mark_read": Rule(only({"consumer": 204}, denied=404)),
    # ---- complaints
    "complaints.create": Rule(
        only({"consumer": 201, "other_consumer": 201, "staff": 201, "other_staff": 201}),
        json=lambda w, role: {"industry_code": "online_shopping", "region_code": "110105", "category": "quality",
                              "business_id": w.business_x, "title": "耳机左声道没有声音",
                              "description": "收到的耳机左声道没有声音，要求退货。", "demands": ["refund"]}),
    # U (under review) and R (rejected by the mediator) are against X but never reached it: neither X's staff nor
    # X's API key may list them (issue 15.1: the key listed both, with their full text).
    "complaints.list_": Rule(signed_in(200), check=_sees_complaints({
        "consumer": {"C", "U", "R"}, "other_consumer": {"D"}, "staff": {"C"}, "other_staff": set(),
        "mediator_in": {"C", "U", "R"}, "mediator_out": {"D"}, "admin": {"C", "D", "U", "R"},
        "apikey_x": {"C"}, "apikey_other": set()})),
    "complaints.detail": Rule(only(SEES_C, denied=404)),
    "complaints.list_messages": Rule(only(SEES_C, denied=404)),
    "complaints.post_message": Rule(only({"consumer": 201, "staff": 201, "mediator_in": 201, "admin": 201},
                                         denied=404), json={"body": "请问处理进度如何？"}),
    # Only X's staff may respond now; parties that may see it but may not take this action get 403.
    "complaints.transition": Rule(only({"staff": 200, "consumer": 403, "mediator_in": 403, "admin": 403},
                                       denied=404), json={"action": "respond", "note": "同意退货退款"}, mutates=True),
    # ---- evidence
    "uploads.upload": Rule(signed_in(201), data=lambda: {"file": (io.BytesIO(png_bytes()), "a.png")}),
    "uploads.download": Rule(only(SEES_C, denied=404)),
    # ---- businesses
    "businesses.register": Rule(
        only({"consumer": 201, "other_consumer": 201, "staff": 201, "other_staff": 201}),
        json=lambda w, role: {"name": f"测试商行{ROLES.index(role)}号", "credit_code": _credit(role),
                              "industry_code": "online_shopping", "region_code": "110105",
                              "contact_name": "周经理", "contact_phone": "13900002222"}),
    "businesses.verify": Rule(only({"admin": 200, "mediator_in": 200}), args={"business_id": "business_pending"},
                              mutates=True),
    "businesses.create_key": Rule(only({"staff": 201, "admin": 201}), json={"name": "pos"}),
    "businesses.list_keys": Rule(only({"staff": 200, "admin": 200})),
    "businesses.revoke_key": Rule(only({"staff": 204, "admin": 204}), mutates=True),
    "businesses.add_member": Rule(only({"staff": 202, "admin": 202}), json={"phone": "13600001234", "role": "agent"},
                                  mutates=True),
    "businesses.list_members": Rule(only({"staff": 200, "admin": 200})),
    "identity.create_wechat_binding": Rule(only({"staff": UPSTREAM})),
    # Without a binding made through WeChat the allowed callers get "expired"; the others never get that far.
    "identity.wechat_binding_qr": Rule(only({"staff": 404, "admin": 404}), query={"scene": "bind_0000000000000000"}),
    "notifications.create_webhook": Rule(only({"staff": 201, "admin": 201}),
                                         json={"url": "http://127.0.0.1:9/other", "events": []}),
    "notifications.list_webhooks": Rule(only({"staff": 200, "admin": 200})),
    "notifications.delete_webhook": Rule(only({"staff": 204, "admin": 204}), mutates=True),
    "notifications.deliveries": Rule(only({"staff": 200, "admin": 200})),
    "notifications.redeliver": Rule(only({"staff": 202, "admin": 202})),
    # ---- the public index and disclosures (anyone, signed in or not)
    "public.stats": Rule(everyone(200)),
    "public.rankings": Rule(everyone(200)),
    "public.industries": Rule(everyone(200)),
    "public.public_complaints": Rule(everyone(200)),
    "public.index_method": Rule(everyone(200)),
    "public.disclosures": Rule(everyone(200)),
    "public.disclosure_csv": Rule(everyone(200)),
    "public.disclosure_json": Rule(everyone(200)),
    # ---- platform administration
    "public.get_index_weights": Rule(only({"admin": 200})),
    # The same weights back: only the permission is under test, the index stays as it was.
    "public.put_index_weights": Rule(only({"admin": 200}), json=lambda w, role: {"weights": w.index_weights}),
    "admin.list_staff": Rule(only({"admin": 200})),
    "admin.create_staff": Rule(only({"admin": 201}), json=lambda w, role: {
        "username": f"new_{role}", "password": "Str0ng-pass-2026", "role": "mediator", "region_code": "1101"}),
    "admin.rename_industry": Rule(only({"admin": 200}), json=_industry_name),
    # ---- business appeals (issue 14 item 5): the business files, the complaint's mediators decide
    "appeals.file_appeal": Rule(only({"staff": 201, "consumer": 403, "mediator_in": 403, "admin": 403}, denied=404),
                                json={"reason": "duplicate", "note": "与另一件投诉重复"}, mutates=True),
    "appeals.list_appeals": Rule(only(SEES_C, denied=404)),
    # The permission is checked before the appeal is looked up: parties that may not decide get 403 (or 404
    # when they cannot see the complaint), those that may get as far as "no such appeal" (404). Deciding a
    # real appeal is covered in tests/api/test_appeals.py.
    "appeals.decide": Rule(only({"consumer": 403, "staff": 403, "mediator_in": 404, "admin": 404}, denied=404),
                           json={"upheld": True}, args={"appeal_id": 999999}),
    # --- privacy ---
    # Publication needs a person: the complaint's mediators (and admins) decide; the business, which sees
    # the complaint, is refused (403); the preview is for the consumer and the mediators only.
    "publication.decide": Rule(only({"mediator_in": 200, "admin": 200, "consumer": 403, "staff": 403}, denied=404),
                               json={"approve": True, "note": "已核对脱敏内容"}, mutates=True),
    "publication.preview": Rule(only({"consumer": 200, "mediator_in": 200, "admin": 200, "staff": 403},
                                     denied=404)),
    # --- authz ---
    # Staff by invitation (issue 15.3): owners see what they sent; the invited person (the consumer's phone)
    # decides; nobody else learns the invitation exists (404).
    "businesses.list_invitations": Rule(only({"staff": 200, "admin": 200})),
    "me.my_invitations": Rule(signed_in(200), check=lambda w, role, resp: _sees_invitation(w, role, resp)),
    "me.accept_invitation": Rule(only({"consumer": 200}, denied=404), mutates=True),
    "me.decline_invitation": Rule(only({"consumer": 204}, denied=404), mutates=True),
    # Staff removal and registration review (issue 14.6): X's agent removed by X's owner; P rejected by its
    # region's mediator or an admin; R (the staff role's rejected registration) resubmitted by its owner.
    "businesses.remove_member": Rule(only({"staff": 204, "admin": 204}), mutates=True),
    "businesses.reject": Rule(only({"admin": 200, "mediator_in": 200}), args={"business_id": "business_pending"},
                              json={"note": "营业执照信息与申报不一致"}, mutates=True),
    "businesses.reapply": Rule(only({"staff": 200, "admin": 200}), args={"business_id": "business_rejected"},
                               json={}, mutates=True),
    # --- sessions ---
    "auth.get_captcha": Rule(everyone(200)),
    "accounts_admin.deactivate_user": Rule(only({"admin": 200}), args={"user_id": "other_consumer_id"}, mutates=True),
    "accounts_admin.reactivate_user": Rule(only({"admin": 200}), args={"user_id": "other_consumer_id"}, mutates=True),
    # --- moderation ---
    # C is not held: its mediators get as far as "nothing to review" (409); the other parties that see it may
    # not decide (403); the rest cannot see it (404). Clearing a held complaint: tests/api/test_moderation.py.
    "complaints.moderation_decision": Rule(only({"consumer": 403, "staff": 403, "mediator_in": 409, "admin": 409},
                                                denied=404), json={"clear": True}),
    # Called by WeChat, signed with WECHAT_MINI_PUSH_TOKEN, never with our credentials: unsigned, 403 for all.
    "wechat_mini.push_echo": Rule(everyone(403), query={"echostr": "x"}),
    "wechat_mini.push_event": Rule(everyone(403), json={"Event": "wxa_media_check", "trace_id": "x"}),
    # The image URL handed to media_check_async: only its HMAC opens it.
    "wechat_mini.media_for_check": Rule(everyone(404), args={"upload_id": "0" * 32},
                                        query={"expires": 2000000000, "sig": "0" * 64}),
    # --- casefile ---
    # Reports (举报): consumers (and staff, who are consumers too) file; the report R of the world (the consumer's,
    # in 110105) is read by its reporter, the region's mediators and admins, hidden (404) from everyone else.
    "casefile.create_report": Rule(signed_in(201, mediator_in=403, mediator_out=403, admin=403),
                                   json=lambda w, r: {"business_id": w.business_x, "region_code": "110105",
                                                      "description": "该店铺销售假冒品牌充电器，存在安全隐患。"},
                                   mutates=True),
    "casefile.list_reports": Rule(signed_in(200), check=lambda w, role, resp: _sees_report(w, role, resp)),
    "casefile.get_report": Rule(only({"consumer": 200, "mediator_in": 200, "admin": 200}, denied=404)),
    # The public reply: X's staff (and X's API key); the other parties that see C may not (403).
    "casefile.post_public_reply": Rule(only({"staff": 200, "consumer": 403, "mediator_in": 403, "admin": 403},
                                            denied=404), json={"text": "已联系消费者，退款已经办理。"}, mutates=True),
    # The receipt: the consumer and C's mediators; the business sees C but gets no receipt (403).
    "casefile.receipt": Rule(only({"consumer": 200, "mediator_in": 200, "admin": 200, "staff": 403}, denied=404)),
    # --- assist ---
    # Help for the other parties (issue 20.5), never stored or sent: the reply draft for X's staff (and X's API
    # key), the case summary for C's mediators; the other parties that see C may not (403), the rest never see C.
    "assist.reply_draft_view": Rule(only({"staff": 200, "consumer": 403, "mediator_in": 403, "admin": 403},
                                         denied=404), json={}),
    "assist.case_summary_view": Rule(only({"mediator_in": 200, "admin": 200, "consumer": 403, "staff": 403},
                                          denied=404), json={}),
    # --- contact (issue 18.4) ---
    # Linking: C's mediators get as far as "already linked" (409, C is X's); the other parties that see C may not
    # (403); the rest never see C. A real link: tests/api/test_business_details.py.
    "contact.link_business": Rule(only({"consumer": 403, "staff": 403, "mediator_in": 409, "admin": 409},
                                       denied=404), json=lambda w, r: {"business_id": w.business_y}),
    # The consumer's phone: C's mediators (an audited timeline event); X's staff are refused because C's consumer
    # chose the message thread (403), the consumer has nothing to reveal (403), X's API key is no person (403).
    "contact.reveal_contact": Rule(only({"consumer": 403, "staff": 403, "mediator_in": 200, "admin": 200},
                                        denied=404), json={}, mutates=True),
    # --- collective ---
    # Joining C (not published): only those who see C could; its own consumer need not (409), X's staff may not
    # join a complaint against X and mediators file nothing (403); the rest cannot find C (404). Joining a
    # published case: tests/api/test_collective.py.
    "collective.join": Rule(only({"consumer": 409, "staff": 403, "mediator_in": 403, "admin": 403}, denied=404),
                            json={}, mutates=True),
}


def _sees_report(world: World, role: str, resp):
    ids = {item["id"] for item in resp.get_json()["items"]}
    sees = STANDS_FOR.get(role, role) in ("consumer", "mediator_in", "admin")
    assert (world.report in ids) == sees, (role, ids)


def _sees_invitation(world: World, role: str, resp):
    ids = {i["id"] for i in resp.get_json()}
    assert (world.invitation in ids) == (STANDS_FOR.get(role, role) == "consumer"), (role, ids)


def _credit(role: str) -> str:
    from tests.factories import credit_code

    return credit_code(900_000 + ROLES.index(role))


def derived_expectation(app, endpoint: str, rule: Rule, role: str):
    """What a credential kind gets where the rule does not say: see the module docstring."""
    if role in rule.expect:
        return rule.expect[role]
    meta = _meta(app, endpoint)
    method, _ = api_endpoints(app)[endpoint]
    if meta["auth"] == "none":
        return rule.expect["anonymous"]
    if role in API_KEY_ROLES:
        if role == "apikey_revoked":
            return 401
        return rule.expect[STANDS_FOR[role]] if meta["api_key"] else 403
    if role == "web_no_csrf" and method not in ("GET", "HEAD"):
        return 403
    return rule.expect[STANDS_FOR[role]]


def api_endpoints(app) -> dict[str, tuple[str, str]]:
    out = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") or rule.rule == "/api/v1":
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            assert len(methods) == 1, f"{rule.endpoint}: one method per endpoint expected, got {methods}"
            out[rule.endpoint] = (methods[0], rule.rule)
    return out


def _path(app, endpoint: str, world: World, rule: Rule) -> str:
    from flask import url_for

    url_rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args = url_args(world, rule.args)
    missing = url_rule.arguments - set(args)
    assert not missing, f"{endpoint}: world.py has no object for URL variable(s) {missing}"
    with app.test_request_context():
        return url_for(endpoint, **{k: args[k] for k in url_rule.arguments})


def call(app, client, world: World, endpoint: str, role: str):
    method, _ = api_endpoints(app)[endpoint]
    if role in COOKIE_ROLES:
        # The cookie travels in the request's own header; a client without a cookie jar keeps it out of the
        # shared client (whose jar would otherwise carry it into every other role's calls).
        client = app.test_client(use_cookies=False)
    rule = RULES[endpoint]
    kwargs: dict[str, Any] = {"headers": world.headers(role)}
    if rule.json is not None:
        kwargs["json"] = rule.json(world, role) if callable(rule.json) else rule.json
    if rule.data is not None:
        kwargs["data"] = rule.data()
        kwargs["content_type"] = "multipart/form-data"
    if rule.query is not None:
        kwargs["query_string"] = rule.query(world, role) if callable(rule.query) else rule.query
    return client.open(_path(app, endpoint, world, rule), method=method, **kwargs)


def _expected(app, endpoint: str, role: str) -> tuple[int, ...]:
    e = derived_expectation(app, endpoint, RULES[endpoint], role)
    return e if isinstance(e, tuple) else (e,)


def _allowed(app, endpoint: str, role: str) -> bool:
    return any(200 <= s < 300 for s in _expected(app, endpoint, role))


def check_role(app, client, world: World, endpoint: str, role: str) -> str | None:
    rule = RULES[endpoint]
    if role not in USER_ROLES and role not in rule.expect and _meta(app, endpoint)["auth"] == "none":
        # Reads no credentials: the anonymous call covers it (and repeating failed sign-ins would only trip
        # their rate limit).
        return None
    resp = call(app, client, world, endpoint, role)
    want = _expected(app, endpoint, role)
    if resp.status_code not in want:
        body = resp.get_json(silent=True) or {}
        return f"{endpoint} as {role}: got {resp.status_code} ({body.get('code')}: {body.get('detail')}), want {want}"
    if resp.status_code == 403 and want == (403,) and role in API_KEY_ROLES and not _key_accepted(app, endpoint):
        body = resp.get_json()
        if body.get("code") != "api_key_not_allowed" or not body.get("detail"):
            return f"{endpoint} as {role}: 403 should be api_key_not_allowed with a detail, got {body}"
    if (resp.status_code == 403 and role == "web_no_csrf" and role not in rule.expect
            and _expected(app, endpoint, "consumer") != (403,)):
        body = resp.get_json()
        if body.get("code") != "csrf_failed":
            return f"{endpoint} as {role}: 403 should be csrf_failed, got {body}"
    if 200 <= resp.status_code < 300 and rule.check is not None:
        try:
            rule.check(world, role, resp)
        except AssertionError as exc:
            return f"{endpoint} as {role}: {exc}"
    if resp.status_code in (401, 403, 404):
        assert resp.headers["Content-Type"].startswith("application/problem+json"), endpoint
    return None


def _meta(app, endpoint: str) -> dict:
    # A view not declared with @operation (the OpenAPI document itself) reads no credentials.
    return getattr(app.view_functions[endpoint], "_openapi", None) or {"auth": "none", "api_key": False}


def _key_accepted(app, endpoint: str) -> bool:
    return bool(_meta(app, endpoint).get("api_key"))


def fresh_world(app, client) -> World:
    reset_database(app.extensions["smart315.db"])
    r = app.extensions.get("smart315.redis")
    if r is not None:
        r.flushdb()
    from server.api.limits import reset_limits

    reset_limits(app)
    app.extensions.pop("smart315.public_cache", None)  # its near entries belong to the previous world
    world = build_world(app, client)
    world.industry_name = _industry(client)
    return world


def _industry(client) -> str:
    items = client.get("/api/v1/industries").get_json()["items"]
    return next(i["name"] for i in items if i["code"] == "online_shopping")


# ------------------------------------------------------------------ the tests


@pytest.fixture
def settings_overrides(settings_overrides):
    # Upstreams on a closed loopback port: refused at once, so allowed callers get a quick 502/503.
    return {**settings_overrides, "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
            "ALIPAY_GATEWAY_URL": "http://127.0.0.1:9/gateway.do", "SMS_PROVIDER": "console"}


def test_every_endpoint_has_a_rule(app):
    endpoints = api_endpoints(app)
    missing = sorted(set(endpoints) - set(RULES))
    assert not missing, ("API endpoints without an authorization rule in tests/security/test_authz_matrix.py "
                         f"RULES: {missing}")
    stale = sorted(set(RULES) - set(endpoints))
    assert not stale, f"rules for endpoints that no longer exist: {stale}"
    for name, rule in RULES.items():
        assert set(USER_ROLES) <= set(rule.expect) <= set(ROLES), (
            f"{name}: a rule must say what every user role gets (credential kinds are derived)")


def test_matrix_read_only_endpoints(app, client):
    world = fresh_world(app, client)
    failures = []
    endpoints = api_endpoints(app)
    # GETs first: the POSTs that are safe to share a world (filing, uploading) add objects the lists would see.
    for endpoint in sorted(endpoints, key=lambda e: (endpoints[e][0] != "GET", e)):
        rule = RULES.get(endpoint)
        if rule is None or rule.mutates:
            continue
        for role in ROLES:
            problem = check_role(app, client, world, endpoint, role)
            if problem:
                failures.append(problem)
    assert not failures, "\n".join(failures)


MUTATING = sorted(name for name, rule in RULES.items() if rule.mutates)


def test_api_keys_are_accepted_only_where_declared(app):
    """The whitelist itself: the operations a business integration needs, nothing about accounts or settings."""
    accepted = sorted(e for e in api_endpoints(app) if _key_accepted(app, e))
    assert accepted == sorted([
        "appeals.file_appeal", "appeals.list_appeals", "businesses.search", "complaints.detail",
        "complaints.list_", "complaints.list_messages", "complaints.post_message", "complaints.transition",
        "uploads.download", "casefile.post_public_reply",
        # issue 20.5: a business's own system may prefill its staff's reply with the draft (nothing is sent)
        "assist.reply_draft_view"]), accepted


@pytest.mark.parametrize("endpoint", MUTATING)
def test_matrix_state_changing_endpoints(app, client, endpoint):
    if endpoint not in api_endpoints(app):
        pytest.fail(f"{endpoint} has a rule but is not in the route table")
    rule = RULES[endpoint]
    failures = []
    world = fresh_world(app, client)
    for role in ROLES:  # refusals first, all in one world: a refusal must leave it as it was
        if not _allowed(app, endpoint, role):
            problem = check_role(app, client, world, endpoint, role)
            if problem:
                failures.append(problem)
    for role in ROLES:
        if _allowed(app, endpoint, role):
            # The cookie roles are the consumer's own session: a self-only change by the consumer would end it.
            if not rule.self_only or role in COOKIE_ROLES:
                world = fresh_world(app, client)
            problem = check_role(app, client, world, endpoint, role)
            if problem:
                failures.append(problem)
    assert not failures, "\n".join(failures)
