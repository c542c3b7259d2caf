"""Issue 11, item 8: pages show no more than the user may see, offer only links the user may open, say what
the user's role may do, and name people by full name (the account name only when there is no full name)."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from portal.auth import services as accounts
from portal.documents.models import Document
from portal.extensions import db
from portal.scoring import services as scoring
from portal.text import TZ
from tests.conftest import count_queries
from tests.unit.test_schedule_services import add_document, make_schedule
from tests.unit.test_scoring_services import build_table, fill

SECRET_NOTE = "Ghi chú nháp của đơn vị"


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    monkeypatch.setattr("portal.text.dates.now_local", lambda: datetime(2026, 11, 25, 9, 0, tzinfo=TZ))


@pytest.fixture
def k1(app, org_data):
    """K1 2026 (U2 leads; U1, U3 members): U1's officer has a draft self-score with a note, the leader a bloc score."""
    with app.app_context():
        table, cards, criteria = build_table()
        off1, off2 = accounts.get_user("off1"), accounts.get_user("off2")
        fill(off1, cards["U1"], criteria, "self", ["7", None, None, None])
        scoring.save_score(off1, scoring.get_scorecard(cards["U1"].id), criteria[1], "self", "16,5", 0, note=SECRET_NOTE)
        fill(off2, scoring.get_scorecard(cards["U1"].id), criteria, "bloc", ["9", None, None, None])
        return {"cards": {code: card.id for code, card in cards.items()}, "criteria": [c.id for c in criteria]}


def _history(client, card_id) -> str:
    response = client.get(f"/scoring/cards/{card_id}/history")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.text)


def _self_lines(text: str) -> list[str]:
    return [row for row in re.findall(r"<tr>(.*?)</tr>", text) if "<td>Tự chấm</td>" in row]


# --- 1. the scorecard's history hides a draft self-score from the bloc's leader ----------------------

def test_history_hides_a_draft_self_score_from_the_leader(client, auth, app, k1):
    card = k1["cards"]["U1"]
    auth.login("off2")
    text = _history(client, card)
    assert _self_lines(text) == [] and SECRET_NOTE not in text and "16,5" not in text
    assert "chưa gửi" in text  # says why the self-score lines are missing
    assert "<td>Khối chấm</td>" in text  # the leader's own bloc scores are there


@pytest.mark.parametrize("username", ["off1", "admin"])
def test_history_shows_the_draft_to_its_unit_and_the_board(client, auth, k1, username):
    auth.login(username)
    text = _history(client, k1["cards"]["U1"])
    assert len(_self_lines(text)) == 2 and SECRET_NOTE in text and "16,5" in text
    assert "chưa gửi" not in text


def test_history_shows_the_self_score_to_the_leader_once_submitted_and_hides_it_again_when_returned(client, auth, app, k1):
    card = k1["cards"]["U1"]
    with app.app_context():
        scoring.submit_self(accounts.get_user("off1"), scoring.get_scorecard(card))
    auth.login("off2")
    text = _history(client, card)
    assert len(_self_lines(text)) == 2 and SECRET_NOTE in text and "16,5" in text and "chưa gửi" not in text
    with app.app_context():
        scoring.return_self(accounts.get_user("admin"), scoring.get_scorecard(card), "Sửa tiêu chí 2")
    text = _history(client, card)
    assert _self_lines(text) == [] and SECRET_NOTE not in text and "chưa gửi" in text


def test_history_of_a_card_is_refused_to_other_units_and_viewers(client, auth, k1):
    for username in ("off4", "viewer"):
        auth.login(username)
        assert client.get(f"/scoring/cards/{k1['cards']['U1']}/history").status_code == 403
        auth.logout()


# --- 2. the criteria page links only to pages the user may open --------------------------------------

@pytest.mark.parametrize("username, card, results", [
    ("admin", False, True),   # the Board has no unit of its own
    ("off2", True, True),     # the leader: its unit's card, the draft results
    ("off1", True, False),    # a member: its card; the results once submitted
    ("off4", False, False),   # another bloc's unit
    ("viewer", False, False),
])
def test_criteria_page_links_only_to_what_the_user_may_open(client, auth, k1, username, card, results):
    auth.login(username)
    page = client.get("/scoring/2026/K1/criteria").text
    assert ('href="/scoring/2026/K1/self"' in page) == card
    assert ('href="/scoring/2026/K1/results"' in page) == results
    for href in sorted(set(re.findall(r'href="(/scoring/[^"#?]*)"', page))):
        assert client.get(href).status_code in (200, 302), href


def test_criteria_page_links_to_results_for_everyone_once_submitted(client, auth, app, k1):
    with app.app_context():
        off2 = accounts.get_user("off2")
        for code, points in (("U1", ["9", "19", None, None]), ("U2", ["10", "19", None, None]), ("U3", ["7", "15", None, None])):
            card = scoring.get_scorecard(k1["cards"][code])
            fill(off2, card, scoring.criteria_of(card.table), "bloc", points)
        scoring.change_status(off2, scoring.get_scorecard(k1["cards"]["U1"]).table, "submit")
    for username in ("off1", "off4", "viewer"):
        auth.login(username)
        assert 'href="/scoring/2026/K1/results"' in client.get("/scoring/2026/K1/criteria").text
        auth.logout()


@pytest.mark.parametrize("username, shown", [("off2", True), ("admin", True), ("off1", False)])
def test_card_links_to_its_history_only_for_who_may_read_it(client, auth, app, k1, username, shown):
    with app.app_context():
        off2 = accounts.get_user("off2")
        for code in ("U1", "U2", "U3"):
            card = scoring.get_scorecard(k1["cards"][code])
            fill(off2, card, scoring.criteria_of(card.table), "bloc", ["9", "19", None, None])
        scoring.change_status(off2, scoring.get_scorecard(k1["cards"]["U1"]).table, "submit")
    auth.login(username)
    card = k1["cards"]["U3"]  # not off1's own unit: it reads the card once results are submitted, not its history
    page = client.get(f"/scoring/cards/{card}")
    assert page.status_code == 200
    assert (f'href="/scoring/cards/{card}/history"' in page.text) == shown


# --- 3. the dashboard's help says what the role may do --------------------------------------------------

MEMBER_HELP = "bạn gửi báo cáo và tự chấm điểm"
LEADER_HELP = "cán bộ của đơn vị điều hành khối và đánh dấu các mốc"
READ_ONLY = "Tài khoản của bạn chỉ xem"


@pytest.fixture
def viewers(app, org_data):
    with app.app_context():
        make_schedule(2026)
        accounts.create_user(None, username="xem1", password="mat-khau-thu-nghiem", role="viewer", unit_code="U1", full_name="Người xem 1")
        accounts.create_user(None, username="xem2", password="mat-khau-thu-nghiem", role="viewer", unit_code="U2", full_name="Người xem 2")


@pytest.mark.parametrize("username, present, absent", [
    ("off1", [MEMBER_HELP], [READ_ONLY, "Tài khoản chỉ xem"]),
    ("off2", [LEADER_HELP], [READ_ONLY, MEMBER_HELP]),
    ("xem1", [READ_ONLY, "cán bộ của đơn vị gửi báo cáo và tự chấm điểm"], [MEMBER_HELP]),
    ("xem2", [READ_ONLY, "Trưởng khối K1"], [LEADER_HELP, MEMBER_HELP]),
    ("viewer", ["Tài khoản chỉ xem: bạn xem được"], [MEMBER_HELP, LEADER_HELP]),
    ("admin", ["Tài khoản Ban Thi đua - Khen thưởng"], [MEMBER_HELP, "Tài khoản chỉ xem", READ_ONLY]),
])
def test_dashboard_help_matches_the_role(client, auth, viewers, username, present, absent):
    auth.login(username)
    page = client.get("/progress/2026").text
    for text in present:
        assert text in page, text
    for text in absent:
        assert text not in page, text


# --- 4. people by full name ---------------------------------------------------------------------------

def test_pages_name_people_by_full_name(client, auth, app, k1):
    card = k1["cards"]["U1"]
    with app.app_context():
        scoring.submit_self(accounts.get_user("off1"), scoring.get_scorecard(card))
    auth.login("off2")
    text = _history(client, card)
    assert "<td>Cán bộ 1</td>" in text and "<td>Cán bộ 2</td>" in text and "<td>off1</td>" not in text
    criteria = client.get("/scoring/2026/K1/criteria").text
    history = criteria[criteria.index('class="history-list"'):]
    assert "Hệ thống" in history and "· system" not in history  # build_table saved the criteria as the system
    page = client.get(f"/scoring/cards/{card}").text
    assert "bởi Cán bộ 1." in page and "bởi off1" not in page
    with app.app_context():
        off2 = accounts.get_user("off2")
        for code in ("U1", "U2", "U3"):
            sc = scoring.get_scorecard(k1["cards"][code])
            fill(off2, sc, scoring.criteria_of(sc.table), "bloc", ["9", "19", None, None])
        scoring.change_status(off2, scoring.get_scorecard(card).table, "submit")
    results = re.sub(r"\s+", " ", client.get("/scoring/2026/K1/results").text)
    assert re.search(r"\d\d:\d\d · Cán bộ 2</small>", results) and "· off2<" not in results


def test_an_account_without_a_full_name_shows_its_username(client, auth, app, k1):
    with app.app_context():
        accounts.create_user(None, username="canbo1b", password="mat-khau-thu-nghiem", role="officer", unit_code="U1")
        user = accounts.get_user("canbo1b")
        card = scoring.get_scorecard(k1["cards"]["U1"])
        scoring.save_score(user, card, scoring.criteria_of(card.table)[0], "self", "8", 1)
    auth.login("admin")
    assert "<td>canbo1b</td>" in _history(client, k1["cards"]["U1"])


def test_a_renamed_person_shows_the_current_full_name(client, auth, app, k1):
    with app.app_context():
        user = accounts.get_user("off2")
        user.full_name = "Trần Thị Bình"
        db.session.commit()
    auth.login("admin")
    text = _history(client, k1["cards"]["U1"])
    assert "<td>Trần Thị Bình</td>" in text and "<td>Cán bộ 2</td>" not in text


def test_history_query_count_does_not_grow_with_people_or_changes(client, auth, app, k1):
    card = k1["cards"]["U1"]
    auth.login("admin")
    _history(client, card)
    with count_queries(app) as small:
        _history(client, card)
    with app.app_context():
        sc = scoring.get_scorecard(card)
        criteria = scoring.criteria_of(sc.table)
        for n in range(3):
            accounts.create_user(None, username=f"them{n}", password="mat-khau-thu-nghiem", role="officer", unit_code="U1",
                                 full_name=f"Cán bộ thêm {n}")
            current = scoring.read_cell(sc, criteria[2], "self")
            scoring.save_score(accounts.get_user(f"them{n}"), sc, criteria[2], "self", str(n + 1), current.version)
    with count_queries(app) as large:
        text = _history(client, card)
    assert "Cán bộ thêm 2" in text
    assert len(large) == len(small), (len(small), len(large))


def test_dashboard_names_who_checked_off_by_full_name_in_every_place(client, auth, app, org_data):
    with app.app_context():
        ms = [m.id for m in make_schedule(2026)]
    auth.login("off2")
    token = auth.csrf()
    for unit in ("", "U3"):
        milestone = ms[1] if not unit else ms[2]  # the 6-month report (the bloc's), the year-end reports (each unit's)
        response = client.post(f"/progress/milestones/{milestone}/blocs/K1/check",
                               data={"csrf_token": token, "note": "Nhận bản giấy", "unit": unit, "done_on": "19/11/2026"})
        assert response.status_code == 302
    grid = client.get("/progress/2026").text
    assert "Đánh dấu tay: Cán bộ 2 — Nhận bản giấy" in grid and "(off2)" not in grid
    bloc = client.get("/progress/2026/blocs/K1").text
    assert 'title="Cán bộ 2 — Nhận bản giấy"' in bloc and "(off2)" not in bloc
    panel = client.get(f"/progress/milestones/{ms[2]}/blocs/K1").text
    assert "✎ Cán bộ 2: Nhận bản giấy" in panel and "<strong>Cán bộ 2</strong>" in panel and "(off2)" not in panel


def test_trash_names_who_deleted_by_full_name(client, auth, app, org_data):
    with app.app_context():
        document = add_document(type="GU", bloc="K1", number="01/GU-K1")
        document = db.session.get(Document, document.id)
        document.deleted_at = datetime.now(timezone.utc)
        document.deleted_by_id = accounts.get_user("off2").id
        db.session.commit()
    auth.login("admin")
    page = client.get("/documents/trash").text
    assert "<td>Cán bộ 2</td>" in page and "<td>off2</td>" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Document.id))) == 1
