"""The wire-level simulators (WeChat, Alipay, Aliyun SMS) as fixtures for the security tests."""
from tests.simulators.fixtures import alipay_keys, alipay_sim, sms_sim, wechat_sim  # noqa: F401
