"""Local simulators of the outside services (WeChat, Alipay, Aliyun SMS) for tests and demos.

Each is a small Flask app speaking the service's real wire protocol; the real SDK code of
server/core/identity/providers talks to them through WECHAT_API_BASE_URL, ALIPAY_GATEWAY_URL
and SMS_ENDPOINT. Start them with `server.simulators.runner.start_in_thread` or `main`.
"""
