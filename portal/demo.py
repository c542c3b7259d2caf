"""Load the demo province "Lam Sơn" (idempotent: what exists already is kept)."""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from portal.auth import services as auth
from portal.extensions import db
from portal.org import demo_data
from portal.org import services as org
from portal.org.models import Bloc, Unit


def load_demo(echo: Callable[[str], None] = print) -> dict:
    """Create the demo units, blocs, three years of memberships and the demo accounts."""
    existing_units = set(db.session.scalars(sa.select(Unit.code)))
    created_units = 0
    for u in demo_data.UNITS:
        if u.code not in existing_units:
            org.create_unit(None, {"code": u.code, "name": u.name, "short_name": u.short_name, "kind": u.kind,
                                   "active": u.active}, commit=False)
            created_units += 1
    existing_blocs = set(db.session.scalars(sa.select(Bloc.code)))
    for b in demo_data.BLOCS:
        if b.code not in existing_blocs:
            org.create_bloc(None, {"code": b.code, "name": b.name}, commit=False)
    db.session.commit()
    echo(f"Đơn vị: {created_units} mới, khối thi đua: {len(demo_data.BLOCS)}")

    for year in demo_data.YEARS:
        if org.membership_rows(year):
            echo(f"Năm {year}: đã có danh sách thành viên, giữ nguyên")
            continue
        rows = [org.MembershipRow(m.unit_code, m.bloc_code, m.role) for m in demo_data.memberships(year)]
        org.replace_memberships(None, year, rows)
        echo(f"Năm {year}: {len(rows)} đơn vị vào {len(demo_data.BLOCS)} khối")

    accounts = []
    for u in demo_data.USERS:
        if auth.get_user(u.username) is None:
            auth.create_user(None, username=u.username, password=u.password, role=u.role, unit_code=u.unit_code,
                             full_name=u.full_name)
        accounts.append(u)
    return {"accounts": accounts}
