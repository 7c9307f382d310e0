"""The privacy policy and user agreement (versions and links), and the user's recorded consents."""
from __future__ import annotations

from typing import Literal

from flask import Blueprint, request
from pydantic import BaseModel

from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.schemas import Strict
from server.core.errors import Forbidden
from server.core.legal import consent_json, consents_of, do_record_consent, documents
from server.core.models import utcnow

bp = Blueprint("legal", __name__)


class LegalDocument(BaseModel):
    version: str
    title: str
    url: str


class LegalOut(BaseModel):
    privacy: LegalDocument
    terms: LegalDocument


class ConsentIn(Strict):
    document: Literal["privacy", "terms"]
    version: str
    channel: Literal["web", "wechat", "alipay"] | None = None


class ConsentOut(BaseModel):
    document: str
    version: str
    channel: str
    agreed_at: str
    current: bool


class ConsentList(BaseModel):
    items: list[ConsentOut]


@bp.get("/legal")
@operation(summary="隐私政策与用户服务协议：当前版本与地址", response=LegalOut, auth="none", tags=("legal",))
def legal():
    return documents(settings()["PUBLIC_BASE_URL"])


def _user(actor):
    if actor.user is None:
        raise Forbidden("API 密钥不代表个人账号")
    return actor.user


@bp.post("/me/consents")
@operation(summary="记录本人同意某一版本的隐私政策或用户服务协议（时间、渠道）", body=ConsentIn,
           response=ConsentOut, status=201, tags=("me",), errors=(409,))
def post_consent(body: ConsentIn, actor):
    from server.core.legal import check_consent

    user = _user(actor)
    check_consent(body.document, body.version)
    # A web session call carries no Authorization header; the apps say which app they are.
    channel = body.channel or ("api" if request.headers.get("Authorization") else "web")
    s = db_session()
    consent = do_record_consent(s, user, body.document, body.version, channel, utcnow())
    s.commit()
    return consent_json(consent), 201


@bp.get("/me/consents")
@operation(summary="本人同意过的隐私政策和用户服务协议版本", response=ConsentList, tags=("me",))
def get_consents(actor):
    return {"items": consents_of(db_session(), _user(actor))}
