"""Accounts, tokens and the outside sign-in providers (WeChat, Alipay, SMS)."""
