"""The scoring API (DESIGN §4): criteria, scores and results as JSON, with the same rights and checks as the pages."""
from __future__ import annotations

import pytest

from portal.auth import services as accounts
from portal.scoring import services as scoring
from tests.unit.test_scoring_services import CRITERIA, build_table, fill


@pytest.fixture
def tokens(app, org_data):
    with app.app_context():
        return {name: accounts.create_token(None, accounts.get_user(name)) for name in ("admin", "off1", "off2", "off4", "viewer")}


@pytest.fixture
def k1(app, tokens):
    with app.app_context():
        table, cards, criteria = build_table()
        return {"cards": {code: card.id for code, card in cards.items()}, "criteria": [c.id for c in criteria]}


def call(client, tokens, who, method, path, body=None):
    return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})


ITEMS = [{k: v for k, v in item.items()} for item in CRITERIA]


# --- criteria ------------------------------------------------------------------------------------

def test_get_criteria_of_a_bloc_without_a_table(client, tokens):
    response = call(client, tokens, "viewer", "GET", "/api/v1/years/2026/blocs/K2/criteria")
    assert response.status_code == 200
    assert response.json["criteria"] == [] and response.json["locked"] is False


def test_put_and_get_criteria(client, tokens):
    response = call(client, tokens, "off2", "PUT", "/api/v1/years/2026/blocs/K1/criteria", {"criteria": ITEMS})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["locked"] is False and body["max_total"] == "30" and body["max_bonus"] == "5"
    assert [c["title"] for c in body["criteria"]] == [i["title"] for i in ITEMS]
    assert all(isinstance(c["id"], int) for c in body["criteria"]) and body["criteria"][0]["max_points"] == "10"
    # Keep the first item by id (its points stay), drop the others, add one.
    first = body["criteria"][0]
    again = call(client, tokens, "off2", "PUT", "/api/v1/years/2026/blocs/K1/criteria",
                 {"criteria": [first, {"title": "Mới", "max_points": "2.5", "kind": "bonus"}]})
    assert again.status_code == 200
    assert [c["id"] for c in again.json["criteria"]][0] == first["id"] and again.json["criteria"][1]["max_points"] == "2.5"
    got = call(client, tokens, "off1", "GET", "/api/v1/years/2026/blocs/K1/criteria").json
    assert got["criteria"] == again.json["criteria"]


@pytest.mark.parametrize("who", ["off1", "off4", "viewer"])
def test_put_criteria_is_for_the_leader(client, tokens, who):
    assert call(client, tokens, who, "PUT", "/api/v1/years/2026/blocs/K1/criteria", {"criteria": ITEMS}).status_code == 403


@pytest.mark.parametrize("body, fragment", [
    ({"criteria": [{"title": "", "max_points": "10"}]}, "Dòng 1"),
    ({"criteria": [{"title": "A", "max_points": 10.5}]}, "chuỗi số thập phân"),
    ({"criteria": [{"title": "A", "max_points": "10"}, {"title": "a ", "max_points": "5"}]}, "bị trùng"),
    ({"criteria": [{"title": "A", "max_points": "10", "kind": "penalty"}]}, "Loại tiêu chí"),
    ({"criteria": "x"}, "danh sách"),
    ({}, "criteria"),
])
def test_put_bad_criteria_is_422_and_changes_nothing(client, tokens, k1, body, fragment):
    response = call(client, tokens, "off2", "PUT", "/api/v1/years/2026/blocs/K1/criteria", body)
    assert response.status_code == 422
    assert fragment in response.json["error"]["message"] + " ".join(response.json["error"].get("fields", {}).values())
    assert len(call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/criteria").json["criteria"]) == 4


def test_put_criteria_is_409_once_locked(client, tokens, k1):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    assert call(client, tokens, "off2", "PUT", f"/api/v1/scores/{sc}/{c}/bloc", {"points": "5", "version": 0}).status_code == 200
    assert call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/criteria").json["locked"] is True
    response = call(client, tokens, "off2", "PUT", "/api/v1/years/2026/blocs/K1/criteria", {"criteria": ITEMS})
    assert response.status_code == 409 and response.json["error"]["code"] == "conflict"
    assert "đã khóa" in response.json["error"]["message"]


# --- scores ------------------------------------------------------------------------------------

def test_scores_never_set_have_version_zero(client, tokens, k1):
    body = call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/scores").json
    assert [c["id"] for c in body["criteria"]] == k1["criteria"]
    cards = {card["unit"]["code"]: card for card in body["scorecards"]}
    assert set(cards) == {"U1", "U2", "U3"} and cards["U1"]["unit"]["name"] == "Sở Nội vụ"
    bloc = [s for s in cards["U1"]["scores"] if s["stage"] == "bloc"]
    assert len(bloc) == 4 and all(s["points"] is None and s["version"] == 0 for s in bloc)
    assert not [s for s in cards["U1"]["scores"] if s["stage"] == "self"]  # not submitted: the unit's own business


def test_put_score_then_stale_then_overwrite(client, tokens, k1):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    url = f"/api/v1/scores/{sc}/{c}/bloc"
    first = call(client, tokens, "off2", "PUT", url, {"points": "8.5", "version": 0})
    assert first.status_code == 200 and first.json["points"] == "8.5" and first.json["version"] == 1
    stale = call(client, tokens, "admin", "PUT", url, {"points": "9", "version": 0})
    assert stale.status_code == 409
    assert stale.json["error"]["current"]["points"] == "8.5" and stale.json["error"]["current"]["version"] == 1
    assert stale.json["error"]["current"]["updated_by"] == "off2"
    comma = call(client, tokens, "admin", "PUT", url, {"points": "9,25", "version": 1})
    assert comma.status_code == 200 and comma.json["points"] == "9.25" and comma.json["version"] == 2
    cleared = call(client, tokens, "off2", "PUT", url, {"points": None, "version": 2})
    assert cleared.status_code == 200 and cleared.json["points"] is None and cleared.json["version"] == 3
    body = call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/scores").json
    cell = next(s for card in body["scorecards"] if card["id"] == sc for s in card["scores"] if s["criterion"] == c and s["stage"] == "bloc")
    assert cell == {"criterion": c, "stage": "bloc", "points": None, "version": 3}


@pytest.mark.parametrize("points", ["10.01", "8.555", "-1", "abc", "", " ", 8.5, 8, True, [], "1.000", "1e1"])
def test_bad_points_are_422_and_nothing_stored(client, tokens, k1, points):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    response = call(client, tokens, "off2", "PUT", f"/api/v1/scores/{sc}/{c}/bloc", {"points": points, "version": 0})
    if points in ("", " "):
        assert response.status_code == 200 and response.json["points"] is None  # blank clears, like an emptied cell
        return
    if points == 8:
        assert response.status_code == 200 and response.json["points"] == "8"  # a whole JSON number is exact
        return
    assert response.status_code == 422, response.json
    assert response.json["error"]["fields"]["points"] == "Điểm phải là số từ 0 đến 10, tối đa hai chữ số thập phân."
    body = call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/scores").json
    assert all(s["version"] == 0 for card in body["scorecards"] for s in card["scores"])


@pytest.mark.parametrize("body", [{"points": "5"}, {"version": 0}, {"points": "5", "version": "x"}, {"points": "5", "version": -1}])
def test_malformed_score_body_is_422(client, tokens, k1, body):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    assert call(client, tokens, "off2", "PUT", f"/api/v1/scores/{sc}/{c}/bloc", body).status_code == 422


@pytest.mark.parametrize("who, unit, stage", [
    ("off1", "U1", "bloc"), ("off1", "U3", "self"), ("off4", "U1", "self"), ("off2", "U1", "appraisal"),
    ("viewer", "U1", "bloc"), ("off2", "U3", "self"),
])
def test_wrong_unit_or_stage_is_403(client, tokens, k1, who, unit, stage):
    response = call(client, tokens, who, "PUT", f"/api/v1/scores/{k1['cards'][unit]}/{k1['criteria'][0]}/{stage}",
                    {"points": "5", "version": 0})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_unknown_scorecard_criterion_or_stage_is_404(client, tokens, k1):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    for url in (f"/api/v1/scores/9999/{c}/bloc", f"/api/v1/scores/{sc}/9999/bloc", f"/api/v1/scores/{sc}/{c}/final"):
        assert call(client, tokens, "off2", "PUT", url, {"points": "5", "version": 0}).status_code == 404


def test_own_self_score_and_what_others_see(client, tokens, k1):
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    saved = call(client, tokens, "off1", "PUT", f"/api/v1/scores/{sc}/{c}/self", {"points": "9", "version": 0, "note": "Minh chứng A"})
    assert saved.status_code == 200 and saved.json["note"] == "Minh chứng A"
    own = call(client, tokens, "off1", "GET", "/api/v1/years/2026/blocs/K1/scores").json
    assert [card["unit"]["code"] for card in own["scorecards"]] == ["U1"]
    assert {"criterion": c, "stage": "self", "points": "9", "version": 1, "note": "Minh chứng A"} in own["scorecards"][0]["scores"]
    leader = call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/scores").json
    u1 = next(card for card in leader["scorecards"] if card["unit"]["code"] == "U1")
    assert not [s for s in u1["scores"] if s["stage"] == "self"]
    assert call(client, tokens, "off4", "GET", "/api/v1/years/2026/blocs/K1/scores").json["scorecards"] == []


def test_api_writes_with_a_session_need_csrf(client, auth, k1):
    auth.login("off2")
    sc, c = k1["cards"]["U1"], k1["criteria"][0]
    refused = client.put(f"/api/v1/scores/{sc}/{c}/bloc", json={"points": "5", "version": 0})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    ok = client.put(f"/api/v1/scores/{sc}/{c}/bloc", json={"points": "5", "version": 0}, headers={"X-CSRFToken": auth.csrf()})
    assert ok.status_code == 200


def test_no_credentials_is_401(client, k1):
    assert client.get("/api/v1/years/2026/blocs/K1/scores").status_code == 401
    assert client.put(f"/api/v1/scores/{k1['cards']['U1']}/{k1['criteria'][0]}/bloc", json={"points": "5", "version": 0}).status_code == 401


# --- results -----------------------------------------------------------------------------------

def _score_all(app, k1):
    with app.app_context():
        scoring.set_thresholds(accounts.get_user("admin"), 2026, {"excellent": "28", "good": "25", "completed": "15"})
        off2 = accounts.get_user("off2")
        for code, points in (("U1", ["9", "18", "1", None]), ("U2", ["10", "18", None, None]), ("U3", ["7", "15", None, "2"])):
            card = scoring.get_scorecard(k1["cards"][code])
            fill(off2, card, scoring.criteria_of(card.table), "bloc", points)


def test_results_flow(client, tokens, app, k1):
    base = "/api/v1/years/2026/blocs/K1/results"
    assert call(client, tokens, "off1", "GET", base).status_code == 403  # draft: the leader's
    incomplete = call(client, tokens, "off2", "POST", base + "/submit")
    assert incomplete.status_code == 422 and "unit:U1" in incomplete.json["error"]["fields"]
    _score_all(app, k1)
    draft = call(client, tokens, "off2", "GET", base).json
    assert draft["status"] == "draft"
    items = {i["unit"]["code"]: i for i in draft["items"]}
    assert items["U1"]["totals"] == {"self": None, "bloc": "28", "appraisal": None}
    assert (items["U1"]["rank"], items["U1"]["tie"], items["U2"]["rank"], items["U2"]["tie"]) == (1, True, 1, True)
    assert (items["U3"]["rank"], items["U3"]["classification"]) == (3, "hoan_thanh")
    assert items["U1"]["classification"] == "xuat_sac" and items["U1"]["flag"] is None
    assert call(client, tokens, "off1", "POST", base + "/submit").status_code == 403
    submitted = call(client, tokens, "off2", "POST", base + "/submit")
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    assert call(client, tokens, "off2", "POST", base + "/submit").status_code == 409
    assert call(client, tokens, "off1", "GET", base).status_code == 200
    assert call(client, tokens, "viewer", "GET", base).status_code == 200
    assert call(client, tokens, "off2", "POST", base + "/appraise").status_code == 403
    assert call(client, tokens, "admin", "POST", base + "/finalize").status_code == 409
    sc, c = k1["cards"]["U2"], k1["criteria"][1]
    for code in ("U1", "U2", "U3"):
        with app.app_context():
            scoring.copy_bloc_to_appraisal(accounts.get_user("admin"), scoring.get_scorecard(k1["cards"][code]))
    body = call(client, tokens, "admin", "GET", "/api/v1/years/2026/blocs/K1/scores").json
    version = next(s["version"] for card in body["scorecards"] if card["id"] == sc for s in card["scores"]
                   if s["criterion"] == c and s["stage"] == "appraisal")
    assert call(client, tokens, "admin", "PUT", f"/api/v1/scores/{sc}/{c}/appraisal", {"points": "17", "version": version}).status_code == 200
    appraised = call(client, tokens, "admin", "POST", base + "/appraise")
    assert appraised.status_code == 200 and appraised.json["status"] == "appraised"
    items = {i["unit"]["code"]: i for i in appraised.json["items"]}
    assert items["U2"]["totals"]["appraisal"] == "27" and items["U2"]["rank"] == 2
    assert (items["U1"]["rank"], items["U1"]["flag"]) == (1, "co_ubnd_tinh")
    final = call(client, tokens, "admin", "POST", base + "/finalize")
    assert final.status_code == 200 and final.json["status"] == "final"
    assert call(client, tokens, "admin", "POST", base + "/reopen", {}).status_code == 422
    back = call(client, tokens, "admin", "POST", base + "/reopen", {"reason": "Hội đồng xem lại"})
    assert back.status_code == 200 and back.json["status"] == "appraised"


def test_openapi_describes_the_scoring_paths(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/years/{year}/blocs/{bloc}/criteria", "/years/{year}/blocs/{bloc}/scores", "/scores/{scorecard}/{criterion}/{stage}",
                 "/years/{year}/blocs/{bloc}/results", "/years/{year}/blocs/{bloc}/results/submit",
                 "/years/{year}/blocs/{bloc}/results/appraise", "/years/{year}/blocs/{bloc}/results/finalize"):
        assert path in paths, path
    assert set(paths["/years/{year}/blocs/{bloc}/criteria"]) == {"get", "put"}


# --- the score feed of the live meeting view (DESIGN §4.1 scores?since=) -------------------------

def test_scores_since_a_token_give_only_what_changed(client, tokens, k1):
    path = "/api/v1/years/2026/blocs/K1/scores"
    first = call(client, tokens, "off2", "GET", path)
    assert first.status_code == 200 and first.json["token"].isdigit()
    token = first.json["token"]
    nothing = call(client, tokens, "off2", "GET", f"{path}?since={token}")
    assert nothing.json["scorecards"] == [] and nothing.json["token"] == token and "criteria" not in nothing.json
    u1, c1 = k1["cards"]["U1"], k1["criteria"][0]
    assert call(client, tokens, "admin", "PUT", f"/api/v1/scores/{u1}/{c1}/bloc", {"points": "7,5", "version": 0}).status_code == 200
    changed = call(client, tokens, "off2", "GET", f"{path}?since={token}").json
    assert [(card["id"], card["scores"]) for card in changed["scorecards"]] == [
        (u1, [{"criterion": c1, "stage": "bloc", "points": "7.5", "version": 1}])]
    assert int(changed["token"]) > int(token)
    again = call(client, tokens, "off2", "GET", f"{path}?since={changed['token']}").json
    assert again["scorecards"] == []


def test_the_feed_keeps_a_draft_self_score_private_until_it_is_sent(client, tokens, app, k1):
    path = "/api/v1/years/2026/blocs/K1/scores"
    token = call(client, tokens, "off2", "GET", path).json["token"]
    u1, c1 = k1["cards"]["U1"], k1["criteria"][0]
    assert call(client, tokens, "off1", "PUT", f"/api/v1/scores/{u1}/{c1}/self", {"points": "9", "version": 0}).status_code == 200
    assert call(client, tokens, "off2", "GET", f"{path}?since={token}").json["scorecards"] == []  # the leader: not yet
    mine = call(client, tokens, "off1", "GET", f"{path}?since={token}").json  # the unit itself sees its draft
    assert [s["points"] for card in mine["scorecards"] for s in card["scores"]] == ["9"]
    # Sent: the self-scores come on the feed again for everyone who may now see them.
    card = k1["cards"]["U1"]
    with app.app_context():
        table = scoring.get_scorecard(card).table
        for criterion in scoring.criteria_of(table):
            if criterion.kind == "scored" and criterion.id != c1:
                scoring.save_score(accounts.get_user("off1"), scoring.get_scorecard(card), criterion, "self", "10", 0)
        scoring.submit_self(accounts.get_user("off1"), scoring.get_scorecard(card))
    sent = call(client, tokens, "off2", "GET", f"{path}?since={token}").json
    assert {s["points"] for c in sent["scorecards"] for s in c["scores"] if s["stage"] == "self"} == {"9", "10"}


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "9" * 20, "１２"])
def test_a_bad_feed_token_is_422(client, tokens, k1, since):
    response = call(client, tokens, "off2", "GET", f"/api/v1/years/2026/blocs/K1/scores?since={since}")
    assert response.status_code == 422 and response.json["error"]["code"]


def test_a_token_from_the_future_answers_everything_with_reset(client, tokens, k1):
    response = call(client, tokens, "off2", "GET", "/api/v1/years/2026/blocs/K1/scores?since=999999")
    assert response.status_code == 200 and response.json["reset"] is True and response.json["criteria"]
    assert len(response.json["scorecards"]) == 3
