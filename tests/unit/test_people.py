"""portal.people: a person's full name, else the account name; "Hệ thống" for the system; one query per page."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from portal import people
from portal.auth import services as accounts
from tests.conftest import count_queries


def test_display_name_prefers_the_full_name(ctx):
    assert people.display_name(SimpleNamespace(full_name="Nguyễn Văn A", username="a")) == "Nguyễn Văn A"
    assert people.display_name(SimpleNamespace(full_name="  ", username="a")) == "a"
    assert people.display_name(SimpleNamespace(full_name=None, username="a"), "b") == "a"
    assert people.display_name(None, "b") == "b"


@pytest.mark.parametrize("who", [None, SimpleNamespace(full_name="Hệ thống", username="system")])
@pytest.mark.parametrize("stored", [None, "", "system"])
def test_the_system_is_named_he_thong(ctx, who, stored):
    assert people.display_name(who, stored) == "Hệ thống"


def test_names_for_looks_up_ids_and_usernames_in_one_query(app, org_data):
    with app.app_context():
        off1, off2 = accounts.get_user("off1"), accounts.get_user("off2")
        accounts.create_user(None, username="khongten", password="mat-khau-thu-nghiem", role="viewer")
        nameless = accounts.get_user("khongten")
        ids = [off1.id, off2.id, nameless.id, None]
    with count_queries(app) as statements, app.app_context():
        names = people.names_for(ids, usernames=["off2", "system", None])
    assert len(statements) == 1
    with app.app_context():
        assert names == {ids[0]: "Cán bộ 1", ids[1]: "Cán bộ 2", ids[2]: "khongten"}
        assert names.of(ids[0], "off1") == "Cán bộ 1"
        assert names.of(None, "off2") == "Cán bộ 2"  # a record that keeps only the username
        assert names.of(987654, "da-xoa") == "da-xoa"  # a removed account: its stored name
        assert names.of(None, "system") == "Hệ thống"
        event = SimpleNamespace(actor_id=None, actor_name="system")
        assert names.actor(event) == "Hệ thống"
    with count_queries(app) as none, app.app_context():
        assert people.names_for([None], usernames=["system"]) == {}
    assert none == []
