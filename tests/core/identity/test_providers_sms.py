"""SMS providers: the console one for development and Aliyun SMS against its simulator."""
from __future__ import annotations

import logging

import pytest
import requests

from server.config import load_config
from server.core.errors import RateLimited, UpstreamUnavailable, ValidationFailed
from server.core.identity.providers.sms import AliyunSms, ConsoleSms, get_sms_provider, mask_phone, sign_rpc
from tests.simulators import fixtures
from tests.simulators.fixtures import unused_port_url

# pytest finds fixtures by module attribute; these come from the shared simulator fixtures.
sms_sim = fixtures.sms_sim


def test_signature_matches_aliyun_documented_example():
    # The worked example of Aliyun's SMS signature documentation (GET request).
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert sign_rpc(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_console_provider_logs_masked_phone_and_code(caplog):
    caplog.set_level(logging.INFO)
    provider = get_sms_provider(load_config(environ={}))
    assert isinstance(provider, ConsoleSms)
    provider.send_code("13812345678", "482913")
    assert "138****5678" in caplog.text and "482913" in caplog.text
    assert "13812345678" not in caplog.text
    assert ConsoleSms.last_code("13812345678") == "482913"


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"


def test_unknown_provider_is_a_configuration_error():
    with pytest.raises(ValueError):
        get_sms_provider({"SMS_PROVIDER": "carrier-pigeon"})


def test_aliyun_sends_code_through_simulator(sms_sim, caplog):
    caplog.set_level(logging.DEBUG)
    provider = get_sms_provider(sms_sim.settings)
    assert isinstance(provider, AliyunSms)
    provider.send_code("13812345678", "630218")
    # The real provider never writes the code or the full number to the log.
    assert "630218" not in caplog.text and "13812345678" not in caplog.text
    assert "138****5678" in caplog.text
    [sent] = sms_sim.get("/_sim/sms")
    assert sent["phone"] == "13812345678"
    assert sent["code"] == "630218"
    assert sent["sign_name"] == "智慧三一五" and sent["template_code"] == "SMS_000000"
    assert sms_sim.get("/_sim/sms/last?phone=13812345678")["code"] == "630218"


def test_aliyun_wrong_secret_is_rejected_by_signature_check(sms_sim):
    provider = AliyunSms(dict(sms_sim.settings, SMS_ACCESS_KEY_SECRET="wrong"))
    with pytest.raises(UpstreamUnavailable) as info:
        provider.send_code("13812345678", "111111")
    assert info.value.status == 502 and info.value.extra["upstream_code"] == "SignatureDoesNotMatch"
    assert sms_sim.get("/_sim/sms") == []


def test_simulator_refuses_replayed_request(sms_sim):
    params = AliyunSms(sms_sim.settings).build_params("13812345678", "222222")
    first = requests.post(sms_sim.base_url + "/", data=params, timeout=5).json()
    again = requests.post(sms_sim.base_url + "/", data=params, timeout=5).json()
    assert first["Code"] == "OK" and again["Code"] == "SignatureNonceUsed"


def test_aliyun_errors(sms_sim):
    provider = AliyunSms(sms_sim.settings)
    with pytest.raises(ValidationFailed):
        provider.send_code("12345", "333333")
    sms_sim.fault("rate_limit", count=1)
    with pytest.raises(RateLimited):
        provider.send_code("13812345678", "333333")
    for mode in ("busy", "down"):
        sms_sim.fault(mode, count=1)
        with pytest.raises(UpstreamUnavailable) as info:
            provider.send_code("13812345678", "333333")
        assert info.value.status == 503
    sms_sim.fault("slow", delay=1.5, count=1)
    with pytest.raises(UpstreamUnavailable) as info:
        AliyunSms(dict(sms_sim.settings, SMS_TIMEOUT_SECONDS=0.3)).send_code("13812345678", "333333")
    assert info.value.status == 503
    provider.send_code("13812345678", "444444")
    assert [s["code"] for s in sms_sim.get("/_sim/sms")] == ["444444"]


def test_aliyun_unreachable_and_unconfigured():
    settings = load_config({"SMS_PROVIDER": "aliyun", "SMS_ENDPOINT": unused_port_url(),
                            "SMS_ACCESS_KEY_ID": "k", "SMS_ACCESS_KEY_SECRET": "s"}, environ={})
    with pytest.raises(UpstreamUnavailable) as info:
        get_sms_provider(settings).send_code("13812345678", "555555")
    assert info.value.status == 503
    with pytest.raises(UpstreamUnavailable):
        get_sms_provider(load_config({"SMS_PROVIDER": "aliyun"}, environ={}))


def test_simulator_minute_flow_control():
    from server.simulators.sms import create_sms_simulator
    from tests.simulators.fixtures import running_simulator

    with running_simulator(create_sms_simulator({"id": "secret"}, per_phone_per_minute=1)) as sim:
        provider = AliyunSms(load_config({"SMS_ENDPOINT": sim.base_url, "SMS_ACCESS_KEY_ID": "id",
                                          "SMS_ACCESS_KEY_SECRET": "secret", "SMS_SIGN_NAME": "智慧三一五",
                                          "SMS_TEMPLATE_CODE": "SMS_1"}))
        provider.send_code("13900000000", "101010")
        with pytest.raises(RateLimited):
            provider.send_code("13900000000", "202020")
        provider.send_code("13900000001", "303030")
