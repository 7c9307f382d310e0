"""Test helpers: accounts of every role and a complaint at any stage, made through the real API."""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Any

from server.core.businesses import CREDIT_CHARS, credit_code_check_char
from server.core.identity.accounts import do_create_staff_user
from server.core.identity.tokens import issue_tokens
from server.core.models import User

_counter = itertools.count(1)


def png_bytes(size: int = 16, color: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A small valid PNG, as evidence photos are uploaded (the color makes different files differ)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buf, "PNG")
    return buf.getvalue()


def count(db, model, *where) -> int:
    """Rows of `model` matching `where`, in a short session of its own (on SQLite every transaction takes
    the write lock, BEGIN IMMEDIATE)."""
    from sqlalchemy import func, select

    with db.session() as s:
        return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def credit_code(n: int | None = None) -> str:
    """A valid 18-character unified social credit code (GB 32100 check char)."""
    n = next(_counter) if n is None else n
    body = "91110105" + "".join(CREDIT_CHARS[(n // 31**i) % 31] for i in range(9))
    return body + credit_code_check_char(body)


@dataclass
class Login:
    user_id: int
    token: str
    refresh: str
    kind: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class AuthActions:
    """Sign in as each role (Flask tutorial's AuthActions), creating the account when needed."""

    def __init__(self, app, client):
        self.app = app
        self.client = client
        self.db = app.extensions["smart315.db"]
        self.settings = app.config["SMART315"]

    def _tokens(self, user: User, s) -> Login:
        t = issue_tokens(s, self.settings, user)
        s.commit()
        return Login(user.id, t["access_token"], t["refresh_token"], user.kind)

    def consumer(self, name: str = "张三", phone: str | None = None) -> Login:
        with self.db.session() as s:
            user = User(kind="consumer", display_name=name)
            s.add(user)
            s.flush()
            if phone:
                from server.core.identity.accounts import do_set_phone

                do_set_phone(s, self.settings, user, phone)
            return self._tokens(user, s)

    def staff(self, role: str, username: str, region: str | None = None, password: str = "secret-pass-123") -> Login:
        with self.db.session() as s:
            do_create_staff_user(s, role, username, password, region_code=region)
            s.commit()
        r = self.client.post("/api/v1/auth/password", json={"username": username, "password": password})
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        return Login(body["user"]["id"], body["access_token"], body["refresh_token"], role)

    def admin(self, username: str = "admin") -> Login:
        return self.staff("admin", username)

    def mediator(self, region: str = "1101", username: str | None = None) -> Login:
        return self.staff("mediator", username or f"mediator{region}", region=region)

    def business(self, name: str | None = None, region: str = "110105", industry: str = "online_shopping",
                 verify: bool = True, owner_phone: str | None = None) -> tuple[Login, dict[str, Any]]:
        """An owner account and its business (verified by an admin unless verify=False). Without a name: the
        default one, or a numbered branch of it when a verified business already holds it (names of verified
        businesses are reserved)."""
        if name is None:
            from sqlalchemy import select

            from server.core.models import Business

            name = "北京京东世纪贸易有限公司"
            with self.db.session() as s:
                if s.execute(select(Business.id).where(Business.name == name, Business.status == "verified")).first():
                    name = f"北京京东世纪贸易有限公司第{next(_counter)}分公司"
        owner = self.consumer(name="店主", phone=owner_phone)
        r = self.client.post("/api/v1/businesses", headers=owner.headers, json={
            "name": name, "credit_code": credit_code(), "industry_code": industry, "region_code": region,
            "contact_name": "李经理", "contact_phone": "13900001111"})
        assert r.status_code == 201, r.get_json()
        business = r.get_json()
        if verify:
            admin = self.admin(username=f"admin{next(_counter)}")
            v = self.client.post(f"/api/v1/businesses/{business['id']}/verify", headers=admin.headers)
            assert v.status_code == 200, v.get_json()
            business = v.get_json()
        owner.kind = "business_staff"
        return owner, business


def complaint_body(business_id: int | None = None, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "industry_code": "online_shopping",
        "region_code": "110105",
        "category": "quality",
        "title": "购买的手机屏幕有坏点，商家拒绝退货",
        "description": "2026年11月1日在该店购买手机一部，收货后发现屏幕有坏点，联系客服要求七天无理由退货被拒绝。",
        "purchase_date": "2026-11-01",
        "order_no": "JD20261101001",
        "amount_claimed": "3999.00",
        "demands": ["refund"],
        "public_consent": True,
    }
    if business_id is not None:
        body["business_id"] = business_id
    else:
        body["business_name"] = "某某电器商行"
    body.update(over)
    return body


def file_complaint(client, consumer, business_id=None, **over):
    """POST /complaints as `consumer`; the 201 body."""
    r = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(business_id, **over))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def act(client, who, cid, action, expect=200, **fields):
    """POST /complaints/{cid}/transitions as `who`, expecting `expect`; the body."""
    r = client.post(f"/api/v1/complaints/{cid}/transitions", headers=who.headers, json={"action": action, **fields})
    assert r.status_code == expect, r.get_json()
    return r.get_json()


def settle(client, consumer, mediator, owner, business_id, rating=5, **over):
    """A complaint settled directly: filed, accepted, answered, confirmed with 100.50 recovered, rated."""
    c = file_complaint(client, consumer, business_id, **over)
    act(client, mediator, c["id"], "accept")
    act(client, owner, c["id"], "respond", note="同意退款")
    act(client, consumer, c["id"], "confirm", amount_recovered="100.50")
    if rating:
        act(client, consumer, c["id"], "rate", rating=rating)
    return c
