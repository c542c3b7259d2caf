"""The archive list at scale (issue 14 item 1), on both databases: the indexed list gives the same documents in the
same order as before for every sort and filter (checked against a plain Python sort of the same rows, Vietnamese
order for titles), the count stops at a cap ("hơn 10.000 văn bản", `total_exact: false`) without losing a page,
the filter menus follow every upload, edit, trash and restore at once (in another server process too), and the
number of statements per request does not grow with the archive."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from portal.auth import services as auth_services
from portal.documents import services as docs
from portal.documents.models import Document
from portal.extensions import db
from portal.org.models import Bloc, Unit
from portal.text import vi_key
from tests.conftest import AuthActions, count_queries, make_app

WORDS = ["Kế hoạch", "kế toán", "Báo cáo", "Bảo hiểm", "Đề án", "Dự thảo", "Ấn phẩm", "An toàn", "Ăn uống", "Ưu tiên",
         "Uỷ quyền", "Ổn định", "Ông bà", "Giao ước", "Hướng dẫn", "Quyết định", "Ý kiến", "Yêu cầu", "Điều lệ", "Đợt"]
ISSUERS = ["Sở Nội vụ", "Sở Tài chính", "Ủy ban nhân dân tỉnh", "Ban Dân tộc", "Đài Phát thanh", "", "Ấp Bắc"]
TYPES = ["KH", "BC", "QĐ", "CV", "GU", "TB"]
BASE = datetime(2025, 3, 1, 8, 0, tzinfo=timezone.utc)


def add_documents(app, count: int, seed: int = 14, start: int = 0) -> None:
    """`count` varied documents in one INSERT: undated and unnumbered ones, equal dates and upload times, trashed ones."""
    rng = random.Random(seed)
    with app.app_context():
        blocs = list(db.session.scalars(sa.select(Bloc.id).order_by(Bloc.id)))
        units = list(db.session.scalars(sa.select(Unit.id).order_by(Unit.id)))
        rows = []
        for i in range(start, start + count):
            year = rng.choice([2023, 2024, 2025, 2026])
            numbered = rng.random() > 0.15
            rows.append({
                "type": rng.choice(TYPES), "year": year,
                "number": f"{i:04d}/KH-UBND" if numbered else None, "number_key": f"{i:04d}/kh-ubnd" if numbered else None,
                "issue_date": None if rng.random() < 0.1 else date(year, rng.randint(1, 3), rng.randint(1, 3)),
                "title": f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {i:04d}",
                "issuer": rng.choice(ISSUERS), "signer": "", "signer_title": "",
                "bloc_id": rng.choice(blocs), "unit_id": rng.choice(units + [None]),
                "sha256": f"{seed:08x}{i:056x}", "size": 10, "original_name": f"vb-{i}.pdf", "text": "", "page_count": 1,
                "text_source": "text", "text_quality": "good", "ocr_status": "none",
                "metadata_confirmed": rng.random() > 0.3, "version": 1,
                "uploaded_at": BASE + timedelta(hours=rng.randint(0, 40)), "updated_at": BASE,
                "deleted_at": BASE if rng.random() < 0.08 else None,
            })
        db.session.execute(sa.insert(Document), rows)
        db.session.commit()


def expected(app, sort: str, **where) -> list[int]:
    """The live documents matching `where`, in the list's order computed in Python."""
    with app.app_context():
        rows = db.session.execute(sa.select(Document.id, Document.issue_date, Document.title, Document.number_key,
                                            Document.uploaded_at, Document.year, Document.type, Document.issuer,
                                            Document.metadata_confirmed, Document.bloc_id, Document.unit_id,
                                            Document.deleted_at)).all()
        codes = {"bloc": dict(db.session.execute(sa.select(Bloc.code, Bloc.id)).all()),
                 "unit": dict(db.session.execute(sa.select(Unit.code, Unit.id)).all())}
    keep = []
    for r in rows:
        if r.deleted_at is not None:
            continue
        if any((r.year if k == "year" else r.type if k == "type" else r.issuer if k == "issuer"
                else r.metadata_confirmed if k == "confirmed" else r.bloc_id if k == "bloc" else r.unit_id)
               != (codes[k][v] if k in codes else v) for k, v in where.items()):
            continue
        keep.append(r)
    keys = {
        "date": lambda r: (r.issue_date is None, -(r.issue_date.toordinal() if r.issue_date else 0), -r.id),
        "title": lambda r: (vi_key(r.title), r.id),
        "number": lambda r: (r.number_key is None, r.number_key or "", r.id),
        "uploaded": lambda r: (-_utc(r.uploaded_at).timestamp(), -r.id),
    }
    return [r.id for r in sorted(keep, key=keys[sort])]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def listed(sort: str, count_cap=None, per_page: int = 37, **where) -> list[int]:
    """Every page of the list, read the way a client does ("while page < pages")."""
    ids, page = [], 1
    while True:
        result = docs.list_documents(docs.DocumentFilters(sort=sort, page=page, per_page=per_page, **where),
                                     count_cap=count_cap)
        assert result.page == page
        ids += [d.id for d in result.items]
        if result.page >= result.pages:
            return ids
        page += 1


@pytest.fixture
def archive(app, org_data):
    add_documents(app, 320)
    return app


FILTERS = [{}, {"year": 2025}, {"type": "BC"}, {"bloc": "K1"}, {"unit": "U3"}, {"issuer": "Sở Nội vụ"},
           {"confirmed": False}, {"year": 2026, "type": "KH"}]


@pytest.mark.parametrize("sort", docs.SORTS)
def test_every_sort_and_filter_gives_the_same_order_as_before(archive, sort):
    app = archive
    for where in FILTERS:
        want = expected(app, sort, **where)
        with app.app_context():
            assert listed(sort, **where) == want, (sort, where)
            assert listed(sort, count_cap=docs.COUNT_CAP, **where) == want, (sort, where)
            # a cap below the matches changes the count, never the rows
            assert listed(sort, count_cap=25, **where) == want, (sort, where)


def test_count_stops_at_the_cap_and_no_page_is_lost(archive, monkeypatch):
    app = archive
    app.config["PORTAL_PAGE_SIZE"] = 20
    monkeypatch.setattr(docs, "COUNT_CAP", 50)
    everything = expected(app, "date")
    assert len(everything) > 200
    client = app.test_client()
    AuthActions(client).login("admin")

    body = client.get("/api/v1/documents").get_json()
    assert body["total"] == 50 and body["total_exact"] is False and body["pages"] == 3 and body["page"] == 1
    seen, page = [], 1
    while True:  # a client reading every page as before reads every document once
        body = client.get(f"/api/v1/documents?page={page}").get_json()
        seen += [item["id"] for item in body["items"]]
        if body["page"] >= body["pages"]:
            break
        assert body["pages"] >= body["page"] + 1
        page += 1
    assert seen == everything
    last = -(-len(everything) // 20)
    beyond = client.get("/api/v1/documents?page=999").get_json()  # beyond the end: the last page, exactly counted
    assert beyond["page"] == last == beyond["pages"] and beyond["total"] == len(everything)
    assert "total_exact" not in beyond
    assert [i["id"] for i in beyond["items"]] == everything[(last - 1) * 20:]

    small = client.get("/api/v1/documents?year=2024&type=KH").get_json()  # under the cap: exact, as before
    assert set(small) == {"items", "total", "page", "pages"}
    assert small["total"] == len(expected(app, "date", year=2024, type="KH"))

    html = client.get("/documents").text
    assert "Hơn 50 văn bản" in html and "Trang sau" in html and "Trang 1 /" not in html
    html = client.get("/documents?page=3").text
    assert "Trang 3" in html and "Trang trước" in html and "Trang sau" in html
    exact = client.get("/documents?year=2024&type=KH").text
    assert f"{small['total']} văn bản" in exact and "Hơn" not in exact


def test_filter_menus_follow_every_change_in_every_process(app, org_data, tmp_path):
    add_documents(app, 40)
    other = make_app(tmp_path / "other", DATABASE_URL=app.config["DATABASE_URL"])  # another server process's view
    with app.app_context():
        before = docs.facet_values()
        assert before["years"] == sorted(before["years"], reverse=True) and 2019 not in before["years"]
        document = Document(sha256="f" * 64, size=1, original_name="moi.pdf", year=2019, type="NQ",
                            issuer="Hội đồng Thi đua - Khen thưởng", title="Nghị quyết mới", page_count=1)
        db.session.add(document)
        db.session.commit()
        document_id = document.id
    for instance in (app, other):
        with instance.app_context():
            menus = docs.facet_values()
            assert 2019 in menus["years"] and "NQ" in menus["types"]
            assert "Hội đồng Thi đua - Khen thưởng" in menus["issuers"]
            assert menus["issuers"] == sorted(menus["issuers"], key=vi_key) and "" not in menus["issuers"]
    with app.app_context():
        document = db.session.get(Document, document_id)
        docs.update_metadata(auth_services.get_user("admin"), document, {"issuer": "Sở Văn hóa"}, version=document.version)
    with other.app_context():
        menus = docs.facet_values()
        assert "Sở Văn hóa" in menus["issuers"] and "Hội đồng Thi đua - Khen thưởng" not in menus["issuers"]
    with app.app_context():
        docs.delete(auth_services.get_user("admin"), db.session.get(Document, document_id))
    with other.app_context():
        menus = docs.facet_values()
        assert 2019 not in menus["years"] and "NQ" not in menus["types"] and "Sở Văn hóa" not in menus["issuers"]
        assert menus == before
    with app.app_context():
        docs.restore(auth_services.get_user("admin"), db.session.get(Document, document_id))
    client = other.test_client()
    AuthActions(client).login("admin")
    html = client.get("/documents").text
    assert '<option value="2019"' in html and "Sở Văn hóa" in html


def test_statements_per_request_do_not_grow_with_the_archive(archive):
    app = archive
    client = app.test_client()
    AuthActions(client).login("admin")
    paths = ["/documents", "/documents?sort=title&year=2025", "/documents?sort=number&page=2",
             "/api/v1/documents?sort=uploaded", "/api/v1/documents?type=BC"]

    def statements() -> dict[str, int]:
        out = {}
        for path in paths:
            client.get(path)
            with count_queries(app) as seen:
                assert client.get(path).status_code == 200
            out[path] = len(seen)
        return out

    small = statements()
    add_documents(app, 400, seed=15, start=1000)
    assert statements() == small
    with app.app_context(), count_queries(app) as seen:
        page = docs.list_documents(docs.DocumentFilters(sort="title"), count_cap=10)
        [(d.bloc and d.bloc.code, d.unit and d.unit.code, d.uploaded_by) for d in page.items]
    assert not page.total_exact and page.total == 10 and len(seen) == 2
