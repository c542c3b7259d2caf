"""Scope, responsible role and document type of a step, from its work and who does it.

``WORK_RULES`` maps each work (work.ACTIVITIES) to a rule; a rule gets the actor (actors.ACTORS,
or None) and the step's folded text, and returns (scope, responsible, document type).
"""

from __future__ import annotations

from collections.abc import Callable

from .actors import first_actor
from .labels import LABEL_RE
from .model import Candidate
from .plan import Plan
from .work import TC_WORDS_RE, first_activity

Decision = tuple[str, str, str | None]  # scope, responsible, document type


def joined_text(plan: Plan, spans: list[tuple[int, int]]) -> tuple[str, str]:
    """(original, folded) of up to eight spans joined by " ; " (so words of two spans never meet)."""
    spans = [(s, min(e, s + 2000)) for s, e in spans[:8]]
    o = " ; ".join(plan.t[s:e] for s, e in spans)
    fo = " ; ".join(plan.f[s:e] for s, e in spans)
    return o, fo


def classify(plan: Plan, c: Candidate) -> tuple[str, str, str | None, str | None]:
    """Return (scope, responsible, evidence type, work) of a step; work None = not recognised."""
    o, fo = joined_text(plan, c.class_pieces or [sp for p in c.title_pieces for sp in p] or [c.src])
    activity, at = first_activity(plan, o, fo)
    actor = None
    if c.actor_pieces:
        actor_f = joined_text(plan, c.actor_pieces)[1]
        label = LABEL_RE.match(actor_f)  # "Đơn vị thực hiện: …" names no one by its label
        actor = first_actor(actor_f[label.end() if label else 0 :], skip_recipients=False)
    if actor is None:
        # a conference "of the blocs" is the province's: only a subject before the words counts
        before = at if activity == "conference" else None
        actor = first_actor(fo, skip_recipients=True, before=before)
    if actor is None and c.ctx:
        actor = first_actor(c.ctx, skip_recipients=True)
    scope, responsible, evidence, known = decide(activity, actor, fo)
    return scope, responsible, evidence, activity if known else None


def signing_the_pledge(actor: str | None, fo: str) -> Decision:
    return "bloc", "leader", "GU"


def criteria_or_rules(actor: str | None, fo: str) -> Decision:
    """TC for criteria or a score table; KH when only the bloc's rules or activity plan is named."""
    code = "TC" if TC_WORDS_RE.search(fo) else "KH"
    if actor == "board":
        return "board", "board", code
    return "bloc", "leader", code


def midyear_review(actor: str | None, fo: str) -> Decision:
    if actor == "member":
        return "unit", "member", "BC-SK"
    if actor == "board":
        return "board", "board", "BC-SK"
    return "bloc", "leader", "BC-SK"


def inspection(actor: str | None, fo: str) -> Decision:
    if actor == "leader":
        return "bloc", "leader", "BB"
    if actor == "member":
        return "unit", "member", "BB"
    return "board", "board", "BB"


def yearend_report(actor: str | None, fo: str) -> Decision:
    if actor == "member":
        return "unit", "member", "BC-TK"
    if actor == "board":
        return "board", "board", "BC-TK"
    return "bloc", "leader", "BC-TK"


def self_scoring(actor: str | None, fo: str) -> Decision:
    """Each unit scores itself unless someone else is named."""
    if actor in ("member", None):
        return "unit", "member", "BC-TK"
    return yearend_report(actor, fo)


def bloc_meeting(actor: str | None, fo: str) -> Decision:
    if actor == "board":
        return "board", "board", "BB"
    return "bloc", "leader", "BB"


def appraisal(actor: str | None, fo: str) -> Decision:
    return "board", "board", "BB"


def council_decision(actor: str | None, fo: str) -> Decision:
    """The council decides (QĐ); a bloc or the board only proposes it (TTr)."""
    if actor in ("leader", "member"):
        return "bloc", "leader", "TTr"
    if actor == "board":
        return "board", "board", "TTr"
    return "council", "council", "QĐ"


def conference(actor: str | None, fo: str) -> Decision:
    """The province's conference leaves no document of the bloc; a bloc's own conference does."""
    if actor in ("leader", "member"):
        return "bloc", "leader", "BB"
    return "board", "board", None


def results_notice(actor: str | None, fo: str) -> Decision:
    return "board", "board", "TB"


def registration(actor: str | None, fo: str) -> Decision:
    if actor == "leader":
        return "bloc", "leader", None
    return "unit", "member", None


WORK_RULES: dict[str, Callable[[str | None, str], Decision]] = {
    "pledge": signing_the_pledge,
    "criteria": criteria_or_rules,
    "midyear": midyear_review,
    "inspection": inspection,
    "yearend": yearend_report,
    "selfscore": self_scoring,
    "meeting": bloc_meeting,
    "appraisal": appraisal,
    "council": council_decision,
    "conference": conference,
    "notice": results_notice,
    "register": registration,
}


def unknown_work(actor: str | None) -> Decision:
    """No work recognised: the actor alone decides (the step is flagged for review)."""
    if actor == "board":
        return "board", "board", None
    if actor == "council":
        return "council", "council", "QĐ"
    if actor == "member":
        return "unit", "member", None
    return "bloc", "leader", None


def decide(activity: str | None, actor: str | None, fo: str) -> tuple[str, str, str | None, bool]:
    """(scope, responsible, document type, work recognised) of a step."""
    if actor == "council" and activity not in ("conference", None):
        return "council", "council", "QĐ", True
    rule = WORK_RULES.get(activity) if activity else None
    if rule is None:
        return (*unknown_work(actor), False)
    return (*rule(actor, fo), True)
