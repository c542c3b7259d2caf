"""The demo province "Lam Sơn", apart from the product: its data, generated documents and loaders.

``load_demo`` (the ``flask demo`` command) loads everything, idempotent: what exists already is kept.
The modules: ``province`` (units, blocs, memberships, accounts: plain data), ``documents`` (the PDFs
the province issued, no Flask), ``signing`` (the self-signed demo CA, shared with the tests),
``schedule`` and ``scoring`` (loaders of those parts). The product never imports this package.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from flask import current_app

from portal.auth import services as auth
from portal.demo import documents as demo_documents
from portal.demo import province
from portal.demo.schedule import load_demo_schedules
from portal.demo.scoring import load_demo_scoring
from portal.documents import services as docs
from portal.documents.models import Document
from portal.extensions import db
from portal.org import services as org
from portal.org.models import Bloc, Unit
from portal.text import today_local


def load_demo(echo: Callable[[str], None] = print, *, documents: bool = True, today=None) -> dict:
    """Load the whole demo province: organisation and accounts, archive, schedules, scores."""
    accounts = load_demo_org(echo)
    if documents:
        load_demo_documents(echo, today=today)
    # The schedule after the documents: its completion is derived from what the archive holds.
    load_demo_schedules(echo, today=today)
    load_demo_scoring(echo)
    return {"accounts": accounts}


def load_demo_org(echo: Callable[[str], None] = print) -> list:
    """Create the demo units, blocs, three years of memberships and the demo accounts; return the accounts."""
    existing_units = set(db.session.scalars(sa.select(Unit.code)))
    created_units = 0
    for u in province.UNITS:
        if u.code not in existing_units:
            org.create_unit(None, {"code": u.code, "name": u.name, "short_name": u.short_name, "kind": u.kind,
                                   "active": u.active}, commit=False)
            created_units += 1
    existing_blocs = set(db.session.scalars(sa.select(Bloc.code)))
    for b in province.BLOCS:
        if b.code not in existing_blocs:
            org.create_bloc(None, {"code": b.code, "name": b.name}, commit=False)
    db.session.commit()
    echo(f"Đơn vị: {created_units} mới, khối thi đua: {len(province.BLOCS)}")

    for year in province.YEARS:
        if org.membership_rows(year):
            echo(f"Năm {year}: đã có danh sách thành viên, giữ nguyên")
            continue
        rows = [org.MembershipRow(m.unit_code, m.bloc_code, m.role) for m in province.memberships(year)]
        org.replace_memberships(None, year, rows)
        echo(f"Năm {year}: {len(rows)} đơn vị vào {len(province.BLOCS)} khối")

    accounts = []
    for u in province.USERS:
        if auth.get_user(u.username) is None:
            auth.create_user(None, username=u.username, password=u.password, role=u.role, unit_code=u.unit_code,
                             full_name=u.full_name)
        accounts.append(u)
    return accounts


def load_demo_documents(echo: Callable[[str], None] = print, *, today=None) -> dict:
    """Archive the demo province's documents (real PDFs, a few signed, one scanned) through the normal ingest."""
    today = today or today_local()
    if db.session.scalar(sa.select(sa.func.count(Document.id))):
        echo("Kho văn bản đã có dữ liệu; không nạp văn bản mẫu.")
        return {"imported": 0}
    # Trust the demo CA so the demo's signed plans show as trusted (real CAs go in the same folder).
    trust = Path(current_app.config["PORTAL_TRUST_DIR"])
    trust.mkdir(parents=True, exist_ok=True)
    (trust / "demo-ca.pem").write_bytes(demo_documents.demo_ca_pem())
    imported = refused = 0
    # One index commit at the end instead of one per document (the outbox keeps every update meanwhile).
    current_app.config["PORTAL_DEFER_INDEXING"] = True
    try:
        imported, refused = _ingest_demo_documents(echo, today)
    finally:
        current_app.config["PORTAL_DEFER_INDEXING"] = False
    docs.outbox_written.send(current_app._get_current_object())
    echo(f"Văn bản mẫu: {imported} tệp PDF đã lưu" + (f", {refused} lỗi" if refused else ""))
    return {"imported": imported, "refused": refused}


def _ingest_demo_documents(echo, today) -> tuple[int, int]:
    imported = refused = 0
    for item in demo_documents.generate_demo_documents(province.YEARS, today=today):
        fields = {"type": item.type, "year": item.year, "bloc": item.bloc or "", "unit": item.unit or "",
                  "issue_date": item.issue_date.isoformat(), "title": item.title}
        if item.number:
            fields["number"] = item.number
        if item.report_kind:
            fields["report_kind"] = item.report_kind
        try:
            # The generator knows every field, so the archive is confirmed — but for the last three weeks' documents,
            # left in the inbox as an officer would find them after a busy week.
            recent = item.issue_date is not None and 0 <= (today - item.issue_date).days <= 21
            docs.ingest(auth.SYSTEM, io.BytesIO(item.data), item.filename.rsplit("/", 1)[-1], fields, confirmed=not recent)
            imported += 1
        except docs.DuplicateDocument:
            continue
        except Exception as exc:  # a demo document that fails must not stop the demo; say which
            refused += 1
            echo(f"  không nạp được {item.filename}: {getattr(exc, 'message', exc)}")
    return imported, refused
