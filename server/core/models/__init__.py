"""All models, split by domain; importing this package registers every table on Base.metadata."""
from server.core.models.abuse import ComplaintFlag, RateLimitHit  # noqa: F401
from server.core.models.appeals import Appeal, AppealAttachment  # noqa: F401
from server.core.models.base import Base, utcnow  # noqa: F401
from server.core.models.business import (  # noqa: F401
    ApiKey,
    Business,
    BusinessEvent,
    BusinessInvitation,
    BusinessMember,
    Webhook,
    WechatBinding,
)
from server.core.models.casefile import PublicReply, Report, ReportAttachment  # noqa: F401
from server.core.models.complaints import (  # noqa: F401
    Complaint,
    ComplaintEvent,
    IdempotencyRecord,
    Message,
    MessageAttachment,
    Upload,
    WeChatPushNonce,
)
from server.core.models.identity import Identity, RefreshToken, SmsCode, SubscriptionGrant, User  # noqa: F401
from server.core.models.legal import Consent  # noqa: F401
from server.core.models.notifications import Notification, WebhookDelivery  # noqa: F401
from server.core.models.ops import CallbackNonce, JobLock, JobRun, SharedValue  # noqa: F401
from server.core.models.reference import Category, Industry, Region, Setting  # noqa: F401
from server.core.models.scoring import BusinessIndex, Disclosure, IndexHistory, IndustryMean  # noqa: F401
from server.core.models.sessions import AuthAttempt, AuthSession, CaptchaChallenge  # noqa: F401
