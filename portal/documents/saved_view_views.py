"""Saved views of the archive (issue 13), pages: the "Bộ lọc đã lưu" menu of the list, saving the list's filters,
and the page to rename, share, pin and delete them. Thin: parse the form, call portal.documents.saved_views, render.

Every POST carries the CSRF token (Flask-WTF checks every form post of the portal).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from portal.auth import policy
from portal.auth.forms import EmptyForm
from portal.documents import saved_views as sv
from portal.errors import ServiceError
from portal.extensions import htmx

bp = Blueprint("saved_views", __name__, url_prefix="/documents/views")


@bp.before_request
@login_required
def require_login():
    """Saved views belong to a person: every page needs a logged-in user."""


def menu(*, args=None, form=None, error=None, message=None, is_open=False) -> dict:
    """What the list's "Bộ lọc đã lưu" menu shows: my views, the shared ones, and the save form for the current filters.

    Two queries (the views with their owners, my pins), whatever the number of views.
    """
    current, sort = sv.list_filters(args if args is not None else request.args)
    views = sv.visible_views(current_user)
    pins = sv.pinned_ids(current_user)
    here = sv.query_args(current, sort)
    rows = [{"view": v, "url": sv.view_url(v), "pinned": v.id in pins,
             "active": sv.query_args(v.filters, v.sort) == here} for v in views]
    return {
        "mine": [r for r in rows if r["view"].owner_id == current_user.id],
        "shared": [r for r in rows if r["view"].owner_id != current_user.id],
        # The current filters go with the save form as hidden fields only where no script runs (inside <noscript>, in a
        # full page); with htmx the form takes the filter form's live values (hx-include), never stale copies.
        "current": {**here, "sort": sort} if not htmx else {},
        "can_share": policy.can(current_user, "saved_view.share"),
        "form": form or {}, "error": error, "message": message, "open": is_open,
        "action_form": EmptyForm(), "pin_limit": sv.PIN_LIMIT,
    }


@bp.app_context_processor
def saved_views_menu():
    """`saved_views_menu()` in templates: the list includes the menu partial, which asks for its data only then."""
    return {"saved_views_menu": lambda: menu() if current_user.is_authenticated else None}


def _posted_filters() -> tuple[dict, str | None]:
    # The last value wins: the filter form's live values come after anything else of the same name.
    values = {key: request.form.getlist(key)[-1] for key in sv.FILTER_KEYS if request.form.getlist(key)}
    sort = request.form.getlist("sort")[-1] if request.form.getlist("sort") else None
    return values, sort


def _checked(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "true", "y")


@bp.route("")
def manage():
    """My saved views and the shared ones: open, rename, share or unshare, pin or unpin, delete."""
    return _render_manage()


def _render_manage(status: int = 200, *, pending=None, error=None, errors=None):
    views = sv.visible_views(current_user)
    pins = sv.pinned_ids(current_user)
    words = sv.describe(views)
    rows = [{"view": v, "url": sv.view_url(v), "pinned": v.id in pins, "words": words[v.id],
             "can_manage": policy.can(current_user, "saved_view.manage", v)} for v in views]
    return render_template(
        "documents/saved_views.html", mine=[r for r in rows if r["view"].owner_id == current_user.id],
        shared=[r for r in rows if r["view"].owner_id != current_user.id], pinned_count=len(pins),
        pin_limit=sv.PIN_LIMIT, can_share=policy.can(current_user, "saved_view.share"), action_form=EmptyForm(),
        pending=pending, error=error, errors=errors or {}), status


@bp.route("", methods=["POST"])
def create():
    """Save the list's current filters and sort under a name (from the list's menu; htmx answers with the menu)."""
    filters, sort = _posted_filters()
    name = request.form.get("name", "")
    shared, pinned = _checked("shared"), _checked("pinned")
    try:
        view = sv.create_view(current_user, name=name, filters=filters, sort=sort, shared=shared, pinned=pinned)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        form = {"name": name, "shared": shared, "pinned": pinned}
        if htmx:
            # htmx swaps only 2xx answers: the menu carries the refusal, so it is a 200.
            return render_block("documents/_saved_views.html", "menu",
                                menu=menu(args=request.form, form=form, error=exc.message, is_open=True))
        pending = {"filters": filters, "sort": sort or "", **form}
        return _render_manage(422, pending=pending, error=exc.message, errors=exc.errors)
    message = _("Đã lưu bộ lọc “%(name)s”.", name=view.name)
    if pinned:
        message += " " + _("Bộ lọc đã được ghim lên trang chủ.")
    if htmx:
        return render_block("documents/_saved_views.html", "menu", menu=menu(args=request.form, message=message, is_open=True))
    flash(message, "success")
    return redirect(sv.view_url(view))


@bp.route("/<int:view_id>", methods=["POST"])
def update(view_id):
    """Rename (`name`), share or unshare (`shared` 1/0), pin or unpin for me (`pinned` 1/0) — the fields sent."""
    view = sv.get_view_for(current_user, view_id)
    changes = {}
    if "name" in request.form:
        changes["name"] = request.form["name"]
    for key in ("shared", "pinned"):
        if key in request.form:
            changes[key] = request.form[key] in ("1", "on", "true", "y")
    if not changes:
        flash(_("Không có gì để thay đổi."), "info")
        return redirect(url_for("saved_views.manage"))
    try:
        sv.update_view(current_user, view, changes)
    except ServiceError as exc:
        if exc.status != 422:
            raise
        return _render_manage(422, error=exc.message)
    if "name" in changes:
        flash(_("Đã đổi tên bộ lọc thành “%(name)s”.", name=view.name), "success")
    if "shared" in changes:
        flash(_("Bộ lọc “%(name)s” đã được chia sẻ với mọi người.", name=view.name) if view.shared
              else _("Bộ lọc “%(name)s” không còn chia sẻ.", name=view.name), "success")
    if "pinned" in changes:
        flash(_("Đã ghim “%(name)s” lên trang chủ.", name=view.name) if changes["pinned"]
              else _("Đã bỏ ghim “%(name)s” khỏi trang chủ.", name=view.name), "success")
    return redirect(url_for("saved_views.manage"))


@bp.route("/<int:view_id>/delete", methods=["POST"])
def delete(view_id):
    """Delete a view (its owner; the Board for a shared view)."""
    view = sv.get_view_for(current_user, view_id, "saved_view.manage")
    name = view.name
    sv.delete_view(current_user, view)
    flash(_("Đã xóa bộ lọc “%(name)s”.", name=name), "success")
    return redirect(url_for("saved_views.manage"))
