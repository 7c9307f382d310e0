from tests.simulators.fixtures import alipay_keys, alipay_sim, redis_db15, sms_sim, wechat_sim  # noqa: F401
