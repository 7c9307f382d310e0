"""Schemas of the message thread under a complaint: a message may carry evidence (issue 18.3)."""
from __future__ import annotations

from pydantic import BaseModel, Field

from server.api.schemas import Strict


class MessageIn(Strict):
    body: str = Field("", max_length=2000, description="留言内容；带附件时可为空")
    attachment_ids: list[str] = Field(default_factory=list, max_length=9,
                                      description="随留言发送的证据（先经 POST /uploads 上传，本人的、尚未用过的，最多 9 个）")


class MessageAttachmentOut(BaseModel):
    id: str
    url: str
    content_type: str
    mime: str


class MessageOut(BaseModel):
    id: int
    author_role: str
    mine: bool
    body: str
    created_at: str
    attachments: list[MessageAttachmentOut] = Field(default_factory=list, description="对方也能查看（GET /uploads/{id}）")


class MessageList(BaseModel):
    items: list[MessageOut]
    page: int
    per_page: int
    total: int
