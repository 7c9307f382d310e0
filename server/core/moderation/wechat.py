"""The WeChat provider: `msg_sec_check` v2 for text and `media_check_async` v2 for images.

wechatpy only wraps v1 of msg_sec_check, so both endpoints are called through the mini-program's
wechatpy client (`WeChatClient.post`), which appends the access token; the identity provider's
`_invoke` refreshes a rejected token once, exactly as for every other WeChat call. Every failure
(a user who has not opened the mini-program in the last two hours: 61010; the 4,000 calls a minute
quota: 45011; timeouts, HTTP errors, unparseable answers) raises ModerationUnavailable, and the
caller falls back to the local provider rather than refusing the user.
"""
from __future__ import annotations

import logging
from typing import Any

from server.core.identity.providers.wechat import WeChatMini, _Failure
from server.core.moderation.verdict import VERDICTS, Verdict

logger = logging.getLogger(__name__)

# WeChat's scene values: 1 资料, 2 评论, 3 论坛, 4 社交日志.
SCENES = {"profile": 1, "comment": 2, "forum": 3, "social": 4}
LABELS = {100: None, 10001: "广告", 20001: "时政", 20002: "色情", 20003: "辱骂", 20006: "违法犯罪",
          20008: "欺诈", 20012: "低俗", 20013: "版权", 21000: "其他"}
USER_NOT_ACTIVE = 61010
RISKY_CONTENT_V1 = 87014
MEDIA_TYPE_IMAGE = 2


class ModerationUnavailable(Exception):
    """The WeChat check could not give a verdict; use the fallback provider."""

    def __init__(self, reason: str, errcode: int | None = None):
        super().__init__(f"{reason}:{errcode}")
        self.reason = reason
        self.errcode = errcode


def label_name(label: Any) -> str | None:
    try:
        code = int(label)
    except (TypeError, ValueError):
        return str(label) if label else None
    return LABELS.get(code, "其他")


def verdict_of(result: Any, provider: str = "wechat") -> Verdict:
    """The verdict of a v2 answer's (or push event's) `result`: {"suggest", "label"}."""
    if not isinstance(result, dict) or result.get("suggest") not in VERDICTS:
        raise ModerationUnavailable("bad_response")
    suggest = result["suggest"]
    return Verdict(suggest, None if suggest == "pass" else label_name(result.get("label")), provider)


class WeChatModeration:
    name = "wechat"

    def __init__(self, mini: WeChatMini):
        self.mini = mini

    def _post(self, endpoint: str, data: dict) -> dict:
        try:
            return self.mini._invoke(lambda: self.mini.client.post(
                endpoint, api_base_url=self.mini.base_url + "/", data=data))
        except _Failure as failure:
            if failure.kind == "wechat" and failure.errcode == RISKY_CONTENT_V1:
                return {"result": {"suggest": "risky", "label": 21000}}
            raise ModerationUnavailable(failure.kind, failure.errcode) from None

    def check_text(self, text: str, openid: str, scene: str) -> Verdict:
        result = self._post("wxa/msg_sec_check", {
            "openid": openid, "scene": SCENES.get(scene, 2), "version": 2, "content": text})
        return verdict_of(result.get("result"), self.name)

    def check_media_async(self, media_url: str, openid: str, scene: str = "forum") -> str:
        """Start an image check; answers its trace_id (the verdict comes through the message push)."""
        result = self._post("wxa/media_check_async", {
            "media_url": media_url, "media_type": MEDIA_TYPE_IMAGE, "version": 2,
            "scene": SCENES.get(scene, 3), "openid": openid})
        trace_id = result.get("trace_id")
        if not trace_id:
            raise ModerationUnavailable("bad_response")
        return str(trace_id)
