"""gunicorn server.wsgi:app"""
from server.app import create_app
from server.config import exit_if_insecure

exit_if_insecure()  # a clear message and exit status 2 instead of a traceback per worker
app = create_app()  # logging, Sentry and the rest: the same start as the worker, scheduler and CLI
