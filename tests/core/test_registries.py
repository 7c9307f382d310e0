"""The two registries (server.core.registry): login providers (LOGIN_PROVIDERS) and notification
channels (NOTIFICATION_CHANNELS); enabled subsets from configuration."""
from __future__ import annotations

import pytest

from server.config import load_config
from server.core.errors import LoginMethodDisabled
from server.core.identity.providers import LOGIN_PROVIDERS, enabled_login_providers, get_login_provider
from server.core.notifications.channels import CHANNELS, enabled_channels, get_sender
from server.core.registry import check_settings


def test_the_defaults_enable_every_provider_and_channel():
    cfg = load_config(environ={})
    assert enabled_login_providers(cfg) == ("wechat", "alipay", "sms", "password") == LOGIN_PROVIDERS.names()
    assert enabled_channels(cfg) == ("inbox", "wechat_subscribe", "wechat_template", "alipay", "webhook", "sms")
    assert enabled_channels(cfg) == CHANNELS.names()
    # An empty variable means the default too.
    assert enabled_login_providers(load_config(environ={"LOGIN_PROVIDERS": ""})) == LOGIN_PROVIDERS.names()


def test_the_environment_chooses_a_subset_in_registry_order():
    cfg = load_config(environ={"LOGIN_PROVIDERS": " Password, wechat ", "NOTIFICATION_CHANNELS": "webhook,alipay"})
    assert enabled_login_providers(cfg) == ("wechat", "password")
    # The inbox is always on: it is what GET /notifications lists.
    assert enabled_channels(cfg) == ("inbox", "alipay", "webhook")
    assert enabled_channels({"NOTIFICATION_CHANNELS": ["webhook"]}) == ("inbox", "webhook")


def test_an_unknown_name_stops_the_process_with_the_choices():
    with pytest.raises(ValueError, match="carrier-pigeon.*wechat, alipay, sms, password"):
        check_settings(load_config(environ={"LOGIN_PROVIDERS": "wechat,carrier-pigeon"}))
    with pytest.raises(ValueError, match="fax"):
        check_settings(load_config(environ={"NOTIFICATION_CHANNELS": "inbox,fax"}))
    check_settings(load_config(environ={}))


def test_get_login_provider_refuses_a_disabled_one():
    cfg = {"LOGIN_PROVIDERS": ["password"]}
    assert get_login_provider(cfg, "password") is LOGIN_PROVIDERS.get("password")
    for name in ("wechat", "alipay", "sms", "no-such"):
        with pytest.raises(LoginMethodDisabled) as err:
            get_login_provider(cfg, name)
        assert err.value.status == 403 and err.value.code == "login_method_disabled" and "未启用" in err.value.detail


def test_a_disabled_channel_skips_and_an_unknown_one_has_no_sender():
    from server.core.notifications.channels import Skip

    assert get_sender("no-such-channel", {}) is None
    assert get_sender("webhook", {}) is CHANNELS.get("webhook")
    sender = get_sender("webhook", {"NOTIFICATION_CHANNELS": "inbox"})
    row = type("Row", (), {"channel": "webhook"})()
    with pytest.raises(Skip, match="NOTIFICATION_CHANNELS"):
        sender(None, row)
