"""Public disclosure: statistics, rankings, industries, anonymised complaints, the index method, monthly
disclosures; plus the admin's index weights. The read models are in server.core.public_reads; public reads
are served through the public cache (server.api.public_cache)."""
from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from server.api import public_cache
from server.api.context import db_session, settings
from server.api.operation import operation
from server.api.public_cache import cached, on_replica
from server.api.schemas import PageQuery, Strict
from server.core import public_reads
from server.core.errors import Forbidden
from server.core.models import utcnow
from server.core.scoring.actions import do_set_weights, get_weights
from server.core.scoring.disclosure import check_period, get_disclosure

bp = Blueprint("public", __name__)
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
REGION = r"^\d{2}(\d{2}(\d{2})?)?$"


@bp.record_once
def _configure(state) -> None:
    public_cache.configure(state.app)


# ------------------------------------------------------------------ schemas

class StatsMonth(BaseModel):
    month: str
    complaints: int
    resolved: int
    amount_recovered: str


class StatsOut(BaseModel):
    consumers: int
    businesses: int
    complaints_total: int
    complaints_resolved: int
    amount_recovered: str = Field(description="元，两位小数的字符串")
    resolution_rate: float | None = Field(description="已解决 ÷ 已办结（有结果的投诉），0–1")
    by_month: list[StatsMonth]


class RankingQuery(PageQuery):
    industry: str | None = Field(None, max_length=32)
    region: str | None = Field(None, pattern=REGION)
    period: str | None = Field(None, pattern=PERIOD, description="YYYY-MM：该月月末的指数；不填为当前指数")
    insufficient: bool = Field(False, description="true：列出投诉量不足、不参与排名的经营者")


class RankingItem(BaseModel):
    rank: int | None
    business_id: int
    name: str
    industry_code: str
    industry_name: str | None
    region_code: str
    region_name: str
    score: float | None
    grade: str | None
    insufficient: bool
    n_complaints: int
    components: dict[str, float] = {}


class RankingList(BaseModel):
    items: list[RankingItem]
    page: int
    per_page: int
    total: int
    period: str | None
    ranked_total: int
    insufficient_total: int
    formula_version: str


class IndustryStat(BaseModel):
    code: str
    name: str
    businesses: int
    rated_businesses: int
    complaints: int
    resolved: int
    resolution_rate: float | None
    median_response_hours: float | None
    mean_index: float | None


class IndustryStatList(BaseModel):
    items: list[IndustryStat]


class PublicComplaintQuery(PageQuery):
    business_id: int | None = Field(None, ge=1)
    industry: str | None = Field(None, max_length=32)


class PublicComplaint(BaseModel):
    id: int = Field(description="投诉 id：加入集体投诉时用（POST /complaints/{id}/join）")
    members: int | None = Field(None, description="集体投诉的参与人数（含发起投诉本身）；无人加入时为 null")
    joinable: bool = Field(False, description="尚未结束，可以加入")
    public_no: str | None
    business_id: int | None
    business_name: str
    industry_code: str
    industry_name: str | None
    region_code: str
    region_name: str
    category: str
    title: str
    description: str
    status: str
    outcome: str | None
    amount_claimed: str | None
    amount_recovered: str | None
    rating: int | None
    created_at: str | None
    business_reply: dict[str, Any] | None = Field(None, description="商家的公开回复 {text, replied_at}；没有时为 null")


class PublicComplaintList(BaseModel):
    items: list[PublicComplaint]
    page: int
    per_page: int
    total: int


class IndexMethodOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    version: str
    effective_date: str = Field(description="本版本施行日期")
    versions: list[dict[str, str]] = Field(description="各版本及其变更（新在前）：version, date, changes")
    counting: dict[str, Any] = Field(description="哪些投诉计入、哪些不计入及原因（counted, not_counted, why, appeals, "
                                                 "past_periods）")
    window_days: int
    components: list[dict[str, Any]]
    min_complaints: int
    grades: list[dict[str, Any]]
    industry_means: str


class DisclosureItem(BaseModel):
    period: str
    published_at: str | None
    sha256: str
    csv_url: str
    json_url: str
    # The signed audit checkpoint of every timeline's head written when the month was published (the
    # operator publishes the file itself and the public key; `smart315 audit verify --against FILE`).
    audit_checkpoint_name: str | None = None
    audit_checkpoint_sha256: str | None = None


class DisclosureList(BaseModel):
    items: list[DisclosureItem]
    page: int
    per_page: int
    total: int


class DisclosureDoc(BaseModel):
    model_config = ConfigDict(extra="allow")
    period: str
    formula_version: str
    columns: list[dict[str, str]]
    row_count: int
    rows: list[dict[str, str]]


class WeightsIn(Strict):
    weights: dict[str, float]


class WeightsOut(BaseModel):
    weights: dict[str, float]
    recompute: dict[str, Any] | None = None


class DisclosureQuery(PageQuery):
    pass


# ------------------------------------------------------------------ endpoints

@bp.get("/public/stats")
@operation(summary="平台总体数据：注册消费者、入驻商家、投诉、解决、挽回金额、解决率、近 12 个月", response=StatsOut,
           auth="none", tags=("public",))
def stats():
    return cached("stats", lambda: on_replica(lambda s: public_reads.compute_stats(s, utcnow())))


@bp.get("/public/rankings")
@operation(summary="投诉处理指数排名（按行业、地区、月份）；投诉量不足者不参与排名，用 insufficient=true 单独列出",
           query=RankingQuery, response=RankingList, auth="none", tags=("public",))
def rankings(query: RankingQuery):
    key = f"rankings:{query.industry}:{query.region}:{query.period}:{query.insufficient}:{query.page}:{query.per_page}"
    return cached(key, lambda: on_replica(lambda s: public_reads.compute_rankings(
        s, industry=query.industry, region=query.region, period=query.period, insufficient=query.insufficient,
        page=query.page, per_page=query.per_page)))


@bp.get("/public/industries")
@operation(summary="各行业投诉量、解决率、首次答复时间中位数（小时，近 365 天）、平均指数", response=IndustryStatList,
           auth="none", tags=("public",))
def industries():
    return cached("industries", lambda: on_replica(lambda s: public_reads.compute_industries(s, utcnow())))


@bp.get("/public/complaints")
@operation(summary="消费者同意公开、已受理并经调解员审核同意公开的投诉（任何人的姓名、电话、身份证号、出生日期、邮箱、"
                   "银行卡号、详细地址、车牌号、QQ/微信号、订单号已脱敏）",
           query=PublicComplaintQuery, response=PublicComplaintList, auth="none", tags=("public",))
def public_complaints(query: PublicComplaintQuery):
    key = f"complaints:{query.business_id}:{query.industry}:{query.page}:{query.per_page}"
    return cached(key, lambda: on_replica(lambda s: public_reads.compute_public_complaints(
        s, business_id=query.business_id, industry=query.industry, page=query.page, per_page=query.per_page)))


@bp.get("/public/index-method")
@operation(summary="投诉处理指数的计算方法、版本和当前权重", response=IndexMethodOut, auth="none", tags=("public",))
def index_method():
    return cached("index-method", lambda: public_reads.method_doc(db_session()), exact=True)


def _require_admin(actor) -> None:
    if actor is None or not actor.is_admin:
        raise Forbidden("只有管理员可以设置指数权重")


@bp.get("/admin/index-weights")
@operation(summary="当前指数权重（管理员）", response=WeightsOut, tags=("admin",), errors=(403,))
def get_index_weights(actor):
    _require_admin(actor)
    return {"weights": get_weights(db_session()), "recompute": None}


@bp.put("/admin/index-weights")
@operation(summary="设置指数权重（管理员）；保存后立即全量重算所有经营者的指数", body=WeightsIn, response=WeightsOut,
           tags=("admin",), errors=(403,))
def put_index_weights(body: WeightsIn, actor):
    _require_admin(actor)
    s = db_session()
    summary = do_set_weights(s, settings(), body.weights)
    s.commit()
    return {"weights": get_weights(s), "recompute": summary}


@bp.get("/public/disclosures")
@operation(summary="已发布的月度公示（最新在前）", query=DisclosureQuery, response=DisclosureList, auth="none",
           tags=("public",))
def disclosures(query: DisclosureQuery):
    return cached(f"disclosures:{query.page}:{query.per_page}", lambda: on_replica(
        lambda s: public_reads.compute_disclosures(s, page=query.page, per_page=query.per_page)))



def _frozen(period: str, kind: Literal["csv", "json"]) -> Response:
    check_period(period)
    d = get_disclosure(db_session(), period)
    headers = {"Content-Disposition": f'attachment; filename="smart315-disclosure-{period}.{kind}"',
               "ETag": f'"{d.sha256}"', "Cache-Control": "public, max-age=86400",
               "X-Content-SHA256": d.sha256}
    if kind == "csv":
        return Response(d.csv_bytes, mimetype="text/csv", content_type="text/csv; charset=utf-8", headers=headers)
    return Response(d.json_text.encode("utf-8"), content_type="application/json; charset=utf-8", headers=headers)


@bp.get("/public/disclosures/<period>.csv")
@operation(summary="月度公示 CSV（UTF-8 带 BOM，中文表头，发布后冻结、逐字节可复现）", response=str, auth="none",
           tags=("public",), errors=(404,), content_type="text/csv")
def disclosure_csv(period: str):
    return _frozen(period, "csv")


@bp.get("/public/disclosures/<period>.json")
@operation(summary="月度公示 JSON（与 CSV 同一份冻结数据）", response=DisclosureDoc, auth="none", tags=("public",),
           errors=(404,))
def disclosure_json(period: str):
    return _frozen(period, "json")
