"""The one place that answers "may this user do this to this object in this year?".

Every view and API route asks here (directly or through a `get_*_for` loader); templates only hide
links. Board admins may do everything; an officer acts for its own unit; the officers of a bloc's
leader unit *that year* run the bloc, so next year's rotation moves the rights with no user edited;
viewers read.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import g, has_request_context
from flask_babel import gettext as _

from portal.errors import Forbidden
from portal.org import services as org
from portal.org.models import Bloc, Membership, Unit

# action name -> rule(user, target, year) -> bool; admins pass every rule.
RULES: dict[str, Callable[[Any, Any, int | None], bool]] = {}


def rule(action: str):
    """Register the rule for one action."""
    def decorate(fn):
        RULES[action] = fn
        return fn
    return decorate


def can(user, action: str, target=None, *, year: int | None = None) -> bool:
    """Return True when the user may perform the action on the target in that year."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        return False
    if action not in RULES:
        raise KeyError(f"unknown policy action {action!r}")
    if user.role == "admin":
        return True
    return bool(RULES[action](user, target, year))


def require(user, action: str, target=None, *, year: int | None = None) -> None:
    """Raise Forbidden (403, Vietnamese message) unless the user may act."""
    if not can(user, action, target, year=year):
        raise Forbidden(_("Tài khoản của bạn không có quyền thực hiện thao tác này."))


def unit_membership(user, year: int | None) -> Membership | None:
    """Return the membership of the user's unit in that year (cached for the request)."""
    return membership_of(user.unit_id, year)


def membership_of(unit_id: int | None, year: int | None) -> Membership | None:
    """Return a unit's membership in that year, looked up once per request (rules and filing both ask)."""
    if year is None or unit_id is None:
        return None
    cache = _request_cache()
    key = ("membership", unit_id, year)
    if key not in cache:
        cache[key] = org.membership_of(unit_id, year)
    return cache[key]


def _request_cache() -> dict:
    if has_request_context():
        if not hasattr(g, "_policy_cache"):
            g._policy_cache = {}
        return g._policy_cache
    return {}


def _officer(user) -> bool:
    return user.role == "officer" and user.unit_id is not None


def _leads(user, bloc_id, year) -> bool:
    """True for an officer of the unit that leads the bloc in that year."""
    if not _officer(user):
        return False
    m = unit_membership(user, year)
    return m is not None and m.bloc_id == bloc_id and m.role == "leader"


# --- rules -------------------------------------------------------------------------------------

@rule("portal.read")
def _read(user, target, year):
    """Any logged-in, active account reads the archive, the org and the dashboard."""
    return True


def _board_only(user, target, year):
    """Nobody but the Board (admins pass every rule before it is asked)."""
    return False


# Board-only actions: the org and accounts; the documents' trash and purge; the years' schedules
# (milestones, copy, reading the plan); appraisal scores, status changes after submission,
# unlocking, flags and thresholds.
for _action in ("org.manage", "user.manage", "document.trash", "document.purge", "schedule.manage", "scoring.board"):
    RULES[_action] = _board_only


@rule("unit.act")
def _act_for_unit(user, target: Unit, year):
    """An officer acts for its own unit (its reports, its self-score)."""
    return _officer(user) and target is not None and target.id == user.unit_id


@rule("bloc.run")
def _run_bloc(user, target: Bloc, year):
    """The officers of the bloc's leader unit that year run it (criteria, bloc scores, bloc documents)."""
    return target is not None and _leads(user, target.id, year)


@rule("bloc.member")
def _bloc_member(user, target: Bloc, year):
    """An officer whose unit belongs to the bloc that year takes part in it (sees its working papers)."""
    m = unit_membership(user, year)
    return _officer(user) and target is not None and m is not None and m.bloc_id == target.id


@rule("document.upload")
def _upload(user, target, year):
    """Officers may upload (where to is checked per file by document.write); viewers may not."""
    return _officer(user)


@rule("document.write")
def _write_document(user, target, year):
    """Filing rules: an officer files, edits and trashes its own unit's documents (in its unit's bloc
    that year, or in none) and, while its unit leads a bloc that year, that bloc's own documents.

    Province-wide documents (plans, directives) and anything that proves a Board or council step are
    the Board's: a unit's document never lands in another bloc, so it can't complete another bloc's step.
    """
    if not _officer(user) or target is None:
        return False
    year = year if year is not None else target.year
    if target.unit_id is not None:
        if target.unit_id != user.unit_id:
            return False
        if target.bloc_id is None:
            return True
        m = unit_membership(user, year)
        return m is not None and m.bloc_id == target.bloc_id
    if target.bloc_id is not None:
        return _leads(user, target.bloc_id, year)
    return False


@rule("document.ocr")
def _ocr_document(user, target, year):
    """Whoever uploaded a scan, or may file it, may have its text read again (Board: always)."""
    if target is None or user.role == "viewer":
        return False
    return getattr(target, "uploaded_by_id", None) == user.id or _write_document(user, target, year)


@rule("document.note")
def _note_document(user, target, year):
    """Notes are working remarks: every officer may leave one on any document it reads; viewers only read."""
    return user.role == "officer"


@rule("document.note.delete")
def _delete_note(user, target, year):
    """A note is taken back by its author (the Board removes any)."""
    return target is not None and user.role == "officer" and target.author_id == user.id


@rule("milestone.check")
def _check_milestone(user, target, year):
    """The officers of a bloc's leader unit in the milestone's year check off (and undo) their bloc's own steps."""
    if not _officer(user) or target is None or target.scope not in ("bloc", "unit"):
        return False
    return target.year == year and _leads(user, target.bloc_id, year)


# --- scoring: targets are duck-typed (a bloc, or a scorecard/results with bloc_id, unit_id, year, status)


@rule("scoring.criteria.edit")
def _edit_criteria(user, target: Bloc, year):
    """The leader unit's officers that year build the bloc's criteria table."""
    return target is not None and _leads(user, target.id, year)


@rule("scoring.sheet")
def _run_scoring(user, target: Bloc, year):
    """The leader unit's officers that year run the meeting's scoring sheet (bloc scores) and submit the results."""
    return target is not None and _leads(user, target.id, year)


@rule("scoring.self.edit")
def _edit_self_score(user, target, year):
    """A unit's officers fill in their own self-score, while the unit belongs to that bloc that year."""
    if not _officer(user) or target is None or target.unit_id != user.unit_id:
        return False
    m = unit_membership(user, target.year)
    return m is not None and m.bloc_id == target.bloc_id


@rule("scoring.self.read")
def _read_self_score(user, target, year):
    """A self-score is seen by its own unit and by the bloc's leader unit that year (the Board sees all)."""
    if not _officer(user) or target is None:
        return False
    return target.unit_id == user.unit_id or _leads(user, target.bloc_id, target.year)


@rule("scoring.results.read")
def _read_results(user, target, year):
    """The leader's officers see the bloc's results while they are drafted; everybody once submitted."""
    if target is None:
        return False
    return target.status != "draft" or _leads(user, target.bloc_id, target.year)


# --- the bloc meeting and next year's leadership (DESIGN §4.1) ------------------------------------

@rule("bloc.meeting")
def _record_meeting(user, target: Bloc, year):
    """The leader unit's officers of year y record the bloc's meeting and propose year y+1's leader and deputy."""
    return target is not None and _leads(user, target.id, year)


# The Board confirms the proposal into next year's memberships (the org is the Board's).
RULES["leadership.confirm"] = _board_only


# --- saved views of the archive (issue 13): named filters, private or shared, pinned per person ------

@rule("saved_view.create")
def _save_view(user, target, year):
    """Anyone logged in saves its own views of the archive (private until shared) and pins them to its home page."""
    return True


@rule("saved_view.share")
def _share_view(user, target, year):
    """Sharing a view with everyone is for officers (and the Board): a read-only account's views stay its own."""
    return user.role == "officer"


@rule("saved_view.manage")
def _manage_view(user, target, year):
    """A view is renamed, shared, unshared or deleted by its owner; the Board moderates shared views (admins pass).

    Nobody, the Board included, reaches another person's private view: its loader answers 404 first.
    """
    return target is not None and target.owner_id == user.id


@rule("saved_view.pin")
def _pin_view(user, target, year):
    """Anyone pins a view it sees (its own, or a shared one) to its own home page; the pin is that person's only."""
    return target is not None and (target.owner_id == user.id or bool(target.shared))


# --- loaders: fetch an object and check the right in one step (flaskr's get_post shape) ---------

def get_unit_for(user, code_or_id, action: str = "portal.read", *, year: int | None = None) -> Unit:
    """Return the unit or raise NotFound/Forbidden."""
    unit = org.get_unit(code_or_id)
    require(user, action, unit, year=year)
    return unit


def get_bloc_for(user, code_or_id, action: str = "portal.read", *, year: int | None = None) -> Bloc:
    """Return the bloc or raise NotFound/Forbidden."""
    bloc = org.get_bloc(code_or_id)
    require(user, action, bloc, year=year)
    return bloc
