"""Domain errors; the HTTP layer maps each to an RFC 9457 problem document by its `code`."""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: carries an HTTP status, a stable machine code and a Chinese title."""

    status = 400
    code = "bad_request"
    title = "请求无法处理"

    def __init__(self, detail: str | None = None, **extra: Any):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"
    title = "提交的内容有误"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None):
        from server.core.vocabulary import field_label

        super().__init__(detail or "；".join(f"{field_label(e['field'])}：{e['message']}" for e in errors) or self.title)
        self.extra = {"errors": errors}


class ContentRejected(DomainError):
    """A moderation provider judged user text or an image risky: refused, nothing stored."""

    status = 422
    code = "content_rejected"
    title = "内容未通过安全审核"


class BadRequest(DomainError):
    status = 400
    code = "bad_request"
    title = "请求格式有误"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "请先登录"


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = "登录已失效，请重新登录"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = "用户名或密码错误"


class InvalidCode(Unauthorized):
    """A login code (WeChat js_code, Alipay auth_code, SMS code) that is wrong, expired or used."""

    code = "invalid_code"
    title = "验证码或授权码无效，请重试"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "没有权限执行此操作"


class ApiKeyNotAllowed(Forbidden):
    code = "api_key_not_allowed"
    title = "此操作不接受 API 密钥"


class LoginMethodDisabled(Forbidden):
    """The sign-in method is not in this deployment's LOGIN_PROVIDERS."""

    code = "login_method_disabled"
    title = "该登录方式未启用，请使用其他方式登录"


class AccountDeactivated(Forbidden):
    code = "account_deactivated"
    title = "该账号已被平台停用，无法登录；如有疑问请联系平台客服"


class CaptchaRequired(DomainError):
    """428: the caller must solve an image captcha (GET /auth/captcha) and send captcha_id and captcha_code."""

    status = 428
    code = "captcha_required"
    title = "请输入图形验证码"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "未找到"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "与当前状态冲突"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "当前状态下不能执行该操作"


class AppealPending(Conflict):
    code = "appeal_pending"
    title = "这件投诉已有一项待处理的申诉"


class AppealDecided(Conflict):
    code = "appeal_decided"
    title = "这项申诉已经处理过了"


class IndexExcluded(Conflict):
    code = "index_excluded"
    title = "这件投诉已因申诉成立不计入指数"


class NotUnderReview(Conflict):
    code = "not_under_review"
    title = "该投诉没有待审核的内容"
class BusinessNameTaken(Conflict):
    code = "business_name_taken"
    title = "已有同名的认证商家"


class BusinessNotVerified(Conflict):
    code = "business_not_verified"
    title = "商家尚未通过审核"


class LastOwner(Conflict):
    code = "last_owner"
    title = "不能移除唯一的管理员"


class InvitationExpired(Conflict):
    code = "invitation_expired"
    title = "邀请已过期"


class DuplicateComplaint(Conflict):
    """The consumer already has an open complaint against the same business with the same or nearly the same text."""

    code = "duplicate_complaint"
    title = "您已提交过相同的投诉"


class AlreadyLinked(Conflict):
    code = "already_linked"
    title = "投诉已关联平台商家"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    title = "同一幂等键已用于不同的请求"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    title = "提交的内容过大"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "不支持的文件类型"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    title = "操作过于频繁，请稍后再试"

    def __init__(self, detail: str | None = None, retry_after: int = 60):
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamUnavailable(DomainError):
    """An outside service (WeChat, Alipay, SMS, LLM) failed, was busy or answered something unverifiable."""

    status = 503
    code = "upstream_unavailable"
    title = "外部服务暂时不可用，请稍后再试"

    def __init__(self, detail: str | None = None, status: int = 503, **extra: Any):
        super().__init__(detail, **extra)
        self.status = status


class DeliveryError(Exception):
    """Raised by a notification channel; `permanent` ones are not retried."""

    def __init__(self, message: str, permanent: bool = False, code: str | int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class PermanentDeliveryError(DeliveryError):
    def __init__(self, message: str, code: str | int | None = None):
        super().__init__(message, permanent=True, code=code)


class TransientDeliveryError(DeliveryError):
    def __init__(self, message: str, code: str | int | None = None):
        super().__init__(message, permanent=False, code=code)
