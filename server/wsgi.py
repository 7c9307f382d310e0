"""gunicorn server.wsgi:app"""
from server.app import create_app
from server.logging_setup import configure_logging

configure_logging()
app = create_app()
