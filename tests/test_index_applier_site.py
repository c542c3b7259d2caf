"""One index applier per site: on PostgreSQL the applier's lock is an advisory lock of the database, so two
portal processes with separate instance and index folders (two machines) never apply the outbox at once."""
from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import g

from portal.documents.models import IndexOutbox
from portal.extensions import db
from portal.search import services as search
from tests.conftest import Org, make_app
from tests.test_search import upload
from tests.unit.test_document_services import PLAN


def test_an_applier_on_one_machine_holds_off_the_other(tmp_path, postgres_database_url):
    first = make_app(tmp_path / "one", DATABASE_URL=postgres_database_url)
    second = make_app(tmp_path / "two", DATABASE_URL=postgres_database_url)
    Org(first)
    holding, release = threading.Event(), threading.Event()

    def hold_first() -> None:
        with first.app_context(), search._applier().hold(5):
            holding.set()
            release.wait(20)

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert holding.wait(20)
        with second.app_context():
            g.defer_indexing = True  # its index update waits in the outbox (as in a bulk import)
            plan = upload(PLAN)
            g.defer_indexing = False
            pending = db.session.scalar(sa.select(sa.func.count()).select_from(IndexOutbox))
            assert pending >= 1
            assert search.apply_outbox(wait=0.2) == 0  # the other machine's applier holds the lock
            assert db.session.scalar(sa.select(sa.func.count()).select_from(IndexOutbox)) == pending
    finally:
        release.set()
        holder.join(20)
    with second.app_context():
        assert search.apply_outbox(wait=5) >= 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(IndexOutbox)) == 0
        assert plan.id in search.engine().ids()
