"""WSGI entry point for gunicorn or waitress: `gunicorn wsgi:app` / `waitress-serve wsgi:app`."""
from portal import create_app

app = create_app()
