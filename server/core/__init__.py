"""The domain. Never imports Flask: functions take a session and settings, and do not commit."""
