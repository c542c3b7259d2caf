"""Server-side session records: a login opens one, logout ends it, and a copied cookie dies with it.

The browser's signed cookie carries only a random session id (and Flask-Login's user id); the
record decides whether that id is still good: not ended, not idle too long, not too old, and its
account still active. Deactivation and password changes end a user's records at once.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g, request, session
from sqlalchemy.orm import joinedload

from portal.auth.models import LoginAttempt, User, UserSession
from portal.extensions import db
from portal.text import as_utc, utcnow

SESSION_KEY = "_sid"
# last_seen_at is written at most this often: an idle limit in hours needs no write per request.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start(user: User) -> UserSession:
    """Open a session record for a fresh login and put its id into the (already cleared) cookie."""
    raw = secrets.token_urlsafe(32)
    record = UserSession(user_id=user.id, token_hash=_hash(raw), ip=(request.remote_addr or "")[:45],
                         user_agent=(request.user_agent.string or "")[:200])
    db.session.add(record)
    db.session.commit()
    session[SESSION_KEY] = raw
    return record


def current() -> UserSession | None:
    """Return the live record of this request's cookie (with its account), or None (ended, expired or
    unknown). Looked up once per request: the login loader and the account page both ask."""
    if "_session_record" not in g:
        g._session_record = _live_record()
    return g._session_record


def _live_record() -> UserSession | None:
    raw = session.get(SESSION_KEY)
    if not raw or not isinstance(raw, str) or len(raw) > 100:
        return None
    record = db.session.scalar(sa.select(UserSession).options(joinedload(UserSession.user))
                               .where(UserSession.token_hash == _hash(raw)))
    if record is None or record.ended_at is not None:
        return None
    now = utcnow()
    cfg = current_app.config
    idle_for = now - as_utc(record.last_seen_at)
    if (idle_for > timedelta(minutes=int(cfg["PORTAL_SESSION_IDLE_MINUTES"]))
            or now - as_utc(record.created_at) > timedelta(hours=int(cfg["PORTAL_SESSION_MAX_HOURS"]))):
        record.ended_at = now
        db.session.commit()
        return None
    if idle_for > TOUCH_EVERY:
        record.last_seen_at = now
        db.session.commit()
    return record


def end_current() -> None:
    """End this request's session record (logout)."""
    raw = session.get(SESSION_KEY)
    if raw and isinstance(raw, str):
        db.session.execute(sa.update(UserSession).where(UserSession.token_hash == _hash(raw),
                                                        UserSession.ended_at.is_(None)).values(ended_at=utcnow()))


def end_all(user: User, *, keep_current: bool = False) -> int:
    """End every live session of the user (optionally all but this request's); return how many.

    Part of the caller's transaction: it commits with the change that causes it.
    """
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    raw = session.get(SESSION_KEY) if keep_current else None
    if raw and isinstance(raw, str):
        query = query.where(UserSession.token_hash != _hash(raw))
    return db.session.execute(query.values(ended_at=utcnow())).rowcount or 0


def live_sessions(user: User) -> list[UserSession]:
    """The user's sessions not ended, newest first (for the account page)."""
    return list(db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                                   .order_by(UserSession.last_seen_at.desc())))


def purge_old(*, days: int = 30) -> int:
    """Delete session records ended or unused, and login attempts, older than `days` days (the worker's
    daily housekeeping); return how many rows went."""
    cutoff = utcnow() - timedelta(days=days)
    count = db.session.execute(sa.delete(UserSession).where(
        sa.or_(UserSession.ended_at < cutoff, UserSession.last_seen_at < cutoff))).rowcount or 0
    count += db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < cutoff)).rowcount or 0
    db.session.commit()
    return count
