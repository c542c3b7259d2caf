"""How pages name a person: the account's full name, else its username; "Hệ thống" for the system.

Records keep who acted by id and by username (audit events, check-offs, scores), so a name survives a
removed account; pages show the person's current full name, looked up for a whole page in one query.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _

from portal.extensions import db

SYSTEM = "system"

# The account table seen without importing portal.auth (which records audit events, which may name people).
ACCOUNTS = sa.table("user", sa.column("id", sa.Integer), sa.column("username", sa.String), sa.column("full_name", sa.String))


def display_name(user=None, fallback_username: str | None = None) -> str:
    """Return a person's name as pages show it: the full name, else the username, else `fallback_username`.

    `user` is an account (or any object with `full_name` and `username`), or None when the record has
    only a stored name; no account and no name, or the name "system", is the system ("Hệ thống").
    """
    if user is not None:
        full_name = (getattr(user, "full_name", None) or "").strip()
        if full_name and getattr(user, "username", None) != SYSTEM:
            return full_name
        fallback_username = getattr(user, "username", None) or fallback_username
    if not fallback_username or fallback_username == SYSTEM:
        return _("Hệ thống")
    return fallback_username


class Names(dict):
    """{account id: display name} for the people of one page, with lookups that fall back like `display_name`."""

    def __init__(self, by_id=None, by_username=None):
        super().__init__(by_id or {})
        self.by_username: dict[str, str] = dict(by_username or {})

    def of(self, actor_id: int | None = None, fallback_username: str | None = None) -> str:
        """Return the name of the account `actor_id` (else of the account named `fallback_username`, else that name)."""
        if actor_id is not None and actor_id in self:
            return self[actor_id]
        if fallback_username and fallback_username in self.by_username:
            return self.by_username[fallback_username]
        return display_name(None, fallback_username)

    def actor(self, event) -> str:
        """Return the name of who did an audited change (an event with `actor_id` and `actor_name`)."""
        return self.of(event.actor_id, event.actor_name)


def names_for(actor_ids: Iterable[int | None] = (), *, usernames: Iterable[str | None] = ()) -> Names:
    """Return the display names of these accounts (by id, and by username for records that keep only that).

    One query whatever the number of people, none when there is nobody to look up.
    """
    ids = {i for i in actor_ids if i is not None}
    names = {n for n in usernames if n and n != SYSTEM}
    if not ids and not names:
        return Names()
    conditions = []
    if ids:
        conditions.append(ACCOUNTS.c.id.in_(sorted(ids)))
    if names:
        conditions.append(ACCOUNTS.c.username.in_(sorted(names)))
    by_id, by_username = {}, {}
    for row in db.session.execute(sa.select(ACCOUNTS.c.id, ACCOUNTS.c.username, ACCOUNTS.c.full_name).where(sa.or_(*conditions))):
        name = display_name(row)
        if row.id in ids:
            by_id[row.id] = name
        if row.username in names:
            by_username[row.username] = name
    return Names(by_id, by_username)


def event_names(events: Iterable) -> Names:
    """Return the names of the actors of these audit events (one query)."""
    return names_for(e.actor_id for e in events)
