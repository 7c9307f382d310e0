"""The fields of a complaint about the business's details and the consumer's contact (issue 18.4), shared by
the complaint's request and response models (server/api/schemas.py) and the contact endpoints."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class BusinessDetailsIn(BaseModel):
    business_address: str | None = Field(None, max_length=200, description="不在平台上的商家：地址（仅双方和调解员可见）")
    business_phone: str | None = Field(None, max_length=32,
                                       description="不在平台上的商家：电话（手机、带区号的固话或 400 电话）")
    business_credit_code: str | None = Field(None, max_length=32, description="商家的统一社会信用代码（18 位）；"
                                             "与平台上已认证商家相同时投诉关联到该商家")
    contact_preference: Literal["message", "phone"] = Field(
        "message", description="商家如何联系您：message 仅通过留言（默认）；phone 商家可查看您绑定的手机号并来电")


class BusinessDetailsOut(BaseModel):
    business_address: str | None = Field(None, description="消费者填写的商家地址（不公开）")
    business_phone: str | None = Field(None, description="消费者填写的商家电话（不公开）")
    business_credit_code: str | None = Field(None, description="消费者填写的商家统一社会信用代码（不公开）")
    contact_preference: Literal["message", "phone"] = Field("message", description="消费者选择的联系方式")
    consumer_contact: dict[str, Any] | None = Field(
        None, description="详情中，商家员工和调解员可见：{preference, phone_masked}；phone_masked 仅在消费者选择电话"
                          "联系且绑定了手机号时给出，完整号码用 POST /complaints/{id}/contact/reveal 查看")


class LinkBusinessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    business_id: int = Field(ge=1, description="已通过入驻审核的平台商家（可用 GET /businesses?q= 搜索）")


class ContactRevealOut(BaseModel):
    phone: str = Field(description="消费者绑定的完整手机号；每次查看都记入投诉的时间线（不含号码）")
