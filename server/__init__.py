"""Smart315: an open-source consumer-rights complaint platform."""
