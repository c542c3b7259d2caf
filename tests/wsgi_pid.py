"""The deployed app (`wsgi:app`) with one test-only header, `X-Served-By-Pid`: which server process answered.

Used by tests/procs.py (`PortalProcess(..., pid_header=True)`) so a process-level test can prove that
requests really went to different gunicorn workers. Never imported by the portal itself.
"""
import os

from wsgi import app as portal_app


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Served-By-Pid", str(os.getpid()))], exc_info)

    return portal_app(environ, start)
