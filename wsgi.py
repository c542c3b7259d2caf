"""WSGI entry point: `waitress-serve wsgi:app` (one process, the default of scripts/serve) or
`gunicorn wsgi:app` (several worker processes on Linux; gunicorn.conf.py at the root sets them up)."""
from portal import create_app

app = create_app()
