"""Request and response schemas shared by the API modules; they validate and they document."""
from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.api.contact_schemas import BusinessDetailsIn, BusinessDetailsOut
from server.core.assist.taxonomy import CATEGORY_CODES, INDUSTRY_CODES
from server.core.money import parse_yuan
from server.core.privacy import normalize_phone

DEMANDS = ("refund", "return", "exchange", "repair", "compensation", "apology", "other")
STATUSES = ("submitted", "accepted", "forwarded", "responded", "mediating", "resolved", "unresolved",
            "rejected", "withdrawn", "closed")



def yuan_or_none(v: Any) -> Any:
    """An amount field's check before pydantic coerces it (JSON true is not 1): empty is None, else yuan text."""
    if v is None or v == "":
        return None
    parse_yuan(v)
    return v

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _industry(v: str) -> str:
    if v not in INDUSTRY_CODES:
        raise ValueError("未知行业代码，请从 /industries 中选择")
    return v


def _category(v: str) -> str:
    if v not in CATEGORY_CODES:
        raise ValueError("未知投诉类别，请从 /categories 中选择")
    return v


def _county(v: str) -> str:
    from server.core.reference import is_county

    if not is_county(v):
        raise ValueError("请选择区县级行政区划代码（6 位）")
    return v


def _phone(v: str) -> str:
    try:
        return normalize_phone(v)
    except ValueError as exc:
        raise ValueError("请输入正确的中国大陆手机号") from exc


# ------------------------------------------------------------------ paging

class PageQuery(Strict):
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(20, ge=1, le=100)


# ------------------------------------------------------------------ identity

class PasswordLogin(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    captcha_id: str | None = Field(None, max_length=64, description="GET /auth/captcha 返回的 captcha_id（428 之后必填）")
    captcha_code: str | None = Field(None, max_length=16, description="图形验证码上的字符（不区分大小写）")


class RefreshIn(Strict):
    refresh_token: str = Field(min_length=1, max_length=256)


class LogoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str | None = Field(None, max_length=256)
    all: bool = Field(False, description="true：退出该账号在所有设备上的登录")


class CaptchaOut(BaseModel):
    captcha_id: str
    image: str = Field(description="data:image/png;base64,... 图片")
    expires_in: int


class UserOut(BaseModel):
    id: int
    kind: Literal["consumer", "business_staff", "mediator", "admin"]
    display_name: str
    phone_masked: str | None
    region_code: str | None = None
    text_size: str | None = Field(None, description="用户选择的网页字号（未选择时为空）")


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    user: UserOut


class MePatch(Strict):
    display_name: str | None = Field(None, min_length=1, max_length=32)
    text_size: Literal["normal", "large", "xlarge", "elder"] | None = Field(
        None, description="网页字号：标准字、大字、特大字或长辈版；登录后在每台设备上生效")


class MeOut(UserOut):
    identities: list[str] = []
    businesses: list[dict[str, Any]] = []


# ------------------------------------------------------------------ reference

class RegionQuery(Strict):
    parent: str | None = Field(None, pattern=r"^\d{2}(\d{2})?$")


class RefItem(BaseModel):
    code: str
    name: str
    parent: str | None = None
    level: int | None = None


class RefList(BaseModel):
    items: list[RefItem]


# ------------------------------------------------------------------ businesses

class BusinessIn(Strict):
    name: str = Field(min_length=2, max_length=128)
    credit_code: str = Field(min_length=18, max_length=18)
    industry_code: str
    region_code: str
    contact_name: str = Field(min_length=1, max_length=64)
    contact_phone: str

    _v_ind = field_validator("industry_code")(_industry)
    _v_reg = field_validator("region_code")(_county)
    _v_phone = field_validator("contact_phone")(_phone)

    @field_validator("credit_code")
    @classmethod
    def _credit(cls, v: str) -> str:
        from server.core.businesses import is_valid_credit_code

        v = v.upper()
        if not is_valid_credit_code(v):
            raise ValueError("统一社会信用代码无效（18 位，校验码不符）")
        return v


class BusinessQuery(PageQuery):
    q: str | None = Field(None, max_length=64)
    industry: str | None = Field(None, max_length=32)
    region: str | None = Field(None, pattern=r"^\d{2}(\d{2}(\d{2})?)?$")
    status: Literal["pending", "verified", "rejected"] | None = None


class IndexSummary(BaseModel):
    score: float | None
    grade: str | None
    insufficient: bool
    n_complaints: int
    components: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    formula_version: str | None = None
    computed_at: str | None = None


class BusinessOut(BaseModel):
    id: int
    name: str
    credit_code: str
    industry_code: str
    industry_name: str | None
    region_code: str
    region_name: str
    status: Literal["pending", "verified", "rejected"]
    created_at: str | None
    index: IndexSummary | None = None
    counts: dict[str, int] = {}
    trend: list[dict[str, Any]] = []


class BusinessList(BaseModel):
    items: list[BusinessOut]
    page: int
    per_page: int
    total: int


class MemberIn(Strict):
    phone: str
    role: Literal["owner", "agent"] = "agent"
    _v_phone = field_validator("phone")(_phone)


class MemberOut(BaseModel):
    id: int
    user_id: int
    role: str
    display_name: str
    phone_masked: str | None
    wechat_bound: bool


class InvitationCreated(BaseModel):
    invitation_id: int


class InvitationOut(BaseModel):
    """An invitation as the business's owners see it: the phone masked, never whether it has an account."""
    id: int
    phone_masked: str
    role: str
    state: Literal["pending", "accepted", "declined", "expired"]
    created_at: str
    expires_at: str
    decided_at: str | None


class MyInvitationOut(BaseModel):
    id: int
    business: dict[str, Any]
    role: str
    state: str
    created_at: str
    expires_at: str


class MyMembershipOut(BaseModel):
    business_id: int
    business_name: str
    role: str


class RejectIn(Strict):
    note: str = Field(min_length=1, max_length=500)


class ReapplyIn(Strict):
    note: str | None = Field(None, max_length=500)


class ApiKeyIn(Strict):
    name: str = Field("", max_length=64)


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: str | None
    last_used_at: str | None = None
    revoked: bool = False
    key: str | None = None


# ------------------------------------------------------------------ complaints

class ComplaintIn(Strict, BusinessDetailsIn):
    business_id: int | None = Field(None, ge=1)
    business_name: str | None = Field(None, min_length=2, max_length=128)
    industry_code: str
    region_code: str
    category: str
    title: str = Field(min_length=2, max_length=60)
    description: str = Field(min_length=10, max_length=5000)
    purchase_date: date | None = None
    order_no: str | None = Field(None, max_length=64)
    amount_claimed: str | float | int | None = None
    demands: list[Literal["refund", "return", "exchange", "repair", "compensation", "apology", "other"]] = Field(
        default_factory=list, max_length=7)
    public_consent: bool = False
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)

    _v_ind = field_validator("industry_code")(_industry)
    _v_cat = field_validator("category")(_category)
    _v_reg = field_validator("region_code")(_county)

    @field_validator("amount_claimed", mode="before")  # before: JSON true is not coerced to 1 (issue 15.10)
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return yuan_or_none(v)

    @model_validator(mode="after")
    def _business(self) -> ComplaintIn:
        if self.business_id is None and not self.business_name:
            raise ValueError("请选择平台上的商家（business_id）或填写商家名称（business_name）")
        return self


class ModerationDecisionIn(Strict):
    clear: bool = Field(description="true：审核通过，投诉恢复向商家和公众展示；false：审核不通过，投诉不再向商家和公众展示")
    note: str | None = Field(None, max_length=500, description="理由（不通过时记入时间线，消费者可见）")


class TransitionIn(Strict):
    action: str = Field(min_length=1, max_length=32)
    note: str | None = Field(None, max_length=2000)
    amount_recovered: str | float | int | None = None
    rating: int | None = Field(None, ge=1, le=5)
    region_code: str | None = Field(None, pattern=r"^\d{6}$", description="transfer：转往的区县代码")
    reason: Literal["testing", "materials", "agreed_extension"] | None = Field(
        None, description="pause：暂停原因，testing 检测鉴定、materials 补正材料、agreed_extension 双方同意延期")
    attachment_ids: list[str] | None = Field(None, max_length=20, description="supplement：补正的证据材料（先上传）")
    apply_to_members: bool = Field(False, description="集体投诉的发起投诉：同一操作一并用于每件未结束的成员投诉"
                                                      "（accept/respond/propose/pause/resume/request_materials）")

    @field_validator("amount_recovered", mode="before")  # before: JSON true is not coerced to 1
    @classmethod
    def _amount(cls, v: Any) -> Any:
        return yuan_or_none(v)


class ComplaintQuery(PageQuery):
    status: Literal["submitted", "accepted", "forwarded", "responded", "mediating", "resolved", "unresolved",
                    "rejected", "withdrawn", "closed", "open", "overdue"] | None = None
    q: str | None = Field(None, max_length=64)
    business_id: int | None = Field(None, ge=1)
    region: str | None = Field(None, pattern=r"^\d{2}(\d{2}(\d{2})?)?$")
    appeal: Literal["pending", "upheld", "rejected"] | None = Field(
        None, description="有该状态申诉的投诉（调解员的待处理申诉：appeal=pending）")
    moderation: Literal["pass", "review", "rejected"] | None = Field(
        None, description="内容安全审核状态（调解员的待审核队列：moderation=review）")
    publication: Literal["pending", "approved", "refused"] | None = Field(
        None, description="消费者同意公开、公开审核为该状态的投诉（调解员的待审核公开：publication=pending）")
    flag: Literal["claimant"] | None = Field(
        None, description="有该风险提示的投诉（调解员、管理员）：claimant 疑似职业索赔")
    collective: int | None = Field(None, ge=1, description="集体投诉：该发起投诉及其成员投诉（仅列出本人可见的）")


class AttachmentOut(BaseModel):
    id: str
    mime: str
    content_type: str
    size: int
    sha256: str
    url: str
    moderation: str = Field("pass", description="图片安全审核：pass、pending（微信异步审核中）、review（待调解员审核）")


class EventOut(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    actor_role: str
    note: str | None
    data: dict[str, Any]
    created_at: str
    attachments: list[AttachmentOut] | None = Field(None, description="补正材料（supplement）时提交的证据")


class PublicationOut(BaseModel):
    state: Literal["pending", "approved", "refused"]
    decided_at: str | None


class CollectiveOut(BaseModel):
    members: int = Field(description="参与人数，含发起投诉本身；已撤回或不予受理的成员不计")
    amount_claimed_total: str | None = Field(None, description="参与者涉及金额合计（元）")


class ComplaintOut(BusinessDetailsOut):
    id: int
    public_no: str
    status: str
    business_id: int | None
    business_name: str
    industry_code: str
    region_code: str
    region_name: str
    category: str
    title: str
    description: str
    purchase_date: str | None
    order_no: str | None
    amount_claimed: str | None
    amount_recovered: str | None
    demands: list[str]
    public_consent: bool
    rating: int | None
    created_at: str
    updated_at: str
    deadline_at: str | None
    allowed_actions: list[str]
    paused: bool = Field(False, description="计时已暂停（pause）：期间不计入处理期限，恢复（resume）时期限顺延暂停的时长")
    paused_reason: Literal["testing", "materials", "agreed_extension"] | None = None
    paused_at: str | None = None
    reopened_at: str | None = Field(None, description="消费者重新打开投诉的时间（每件投诉只能重新打开一次）")
    materials_due_at: str | None = Field(None, description="调解员要求补正材料的截止时间；逾期未补正的投诉不予受理")
    fulfilment_checked_at: str | None = Field(None, description="询问消费者商家是否已履行和解承诺的时间（只问一次）")
    fulfilment: Literal["fulfilled", "not_fulfilled"] | None = Field(None, description="消费者的回答：已履行/未履行")
    attachments: list[AttachmentOut] = []
    timeline: list[EventOut] | None = None
    index_excluded: bool = Field(False, description="商家申诉成立：不计入商家的投诉处理指数和排名")
    rule_set: str | None = Field(None, description="受理时适用的规则：samr-121（2026-04-15 起受理）或 samr-2022；"
                                                   "受理前为 null。见 /public/rules")
    publication: PublicationOut | None = Field(None, description="公开审核：消费者同意公开的投诉须经调解员或管理员同意后才公开")
    appeals: list[dict[str, Any]] = Field(
        [], description="商家申诉（详情中）：商家、调解员、管理员看到全部内容；消费者只看到申诉的存在、时间和结果")
    moderation: Literal["pass", "review", "rejected"] = Field(
        "pass", description="内容安全审核：review 时投诉暂不向商家和公众展示，待调解员审核（POST /complaints/{id}/moderation）；"
                            "rejected 为审核未通过，不向商家和公众展示")
    collective_id: int | None = Field(None, description="集体投诉的成员：所加入的发起投诉的 id（POST /complaints/{id}/join）")
    collective: CollectiveOut | None = Field(None, description="集体投诉的发起投诉（有人加入后）：members 含发起人本人")
    members_applied: list[int] | None = Field(None, description="apply_to_members：一并推进的成员投诉 id")
    members_skipped: list[dict[str, Any]] | None = Field(None, description="apply_to_members：不能推进的成员投诉及原因")
    flags: list[dict[str, Any]] | None = Field(
        None, description="调解员和管理员可见的风险提示，如 kind=claimant（疑似职业索赔：同一账号对多家商家提交"
                          "几乎相同的投诉）；仅供人工判断，从不自动驳回。消费者和商家看不到此字段")


class ComplaintList(BaseModel):
    items: list[ComplaintOut]
    page: int
    per_page: int
    total: int


class UploadOut(BaseModel):
    id: str
    sha256: str
    mime: str
    size: int
    moderation: str = Field("pass", description="图片安全审核：pass、pending（微信异步审核中，结果经消息推送到达）、"
                                                "review、risky（违规：不向商家展示）")
