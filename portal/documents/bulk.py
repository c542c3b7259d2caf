"""Bulk edit and bulk delete of documents (DESIGN §4.1 `POST /api/v1/documents/bulk`), all or nothing.

The single-document services commit one document at a time, so the batch runs here on the same rules:
every document is loaded and checked first (its rights through the policy, its resulting place through
`check_filing`), then every change is made and the whole batch commits once. One refusal anywhere and
nothing is written.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from portal.auth import policy
from portal.db import row_id
from portal.documents import services as docs
from portal.documents.models import Document
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.extensions import db

MAX_IDS = 500
# What a bulk edit may set: where a document is filed, its type and its issuer (not what tells one document
# from another — number, date, title — which only makes sense one at a time).
SETTABLE = ("year", "type", "bloc", "unit", "issuer")
NAMED = 5  # how many documents a refusal names before "and n more"
# Audit summaries end with how the change was made, so the history tells a batch from a single edit.
BULK_EDIT = " (sửa hàng loạt)"
BULK_DELETE = " (xóa hàng loạt)"
CODE_MAX = 20  # a bloc or unit code (org's CODE_PATTERN); longer is refused before any lookup


def run(actor, payload) -> int:
    """Carry out a request `{"ids": [...], "set": {...}}` or `{"ids": [...], "action": "delete"}`; return how many
    documents it covered. Raises ValidationFailed (422), NotFound (404) or Forbidden (403), having changed nothing."""
    if not isinstance(payload, dict):
        raise ValidationFailed(_("Cần một đối tượng JSON có “ids” và “set” hoặc “action”."))
    unknown = sorted(set(payload) - {"ids", "set", "action"})
    if unknown:
        message = _("Không nhận các khóa: %(names)s (chỉ nhận ids, set, action).", names=", ".join(unknown))
        raise ValidationFailed(message, errors={key: _("Không nhận khóa này.") for key in unknown})
    if ("set" in payload) == ("action" in payload):
        message = _("Cần đúng một trong hai: “set” (các trường cần sửa) hoặc “action”: “delete”.")
        raise ValidationFailed(message, errors={"set": message})
    ids = check_ids(payload.get("ids"))
    if "action" in payload:
        if payload["action"] != "delete":
            message = _("Thao tác hàng loạt không hợp lệ: chỉ nhận “delete”.")
            raise ValidationFailed(message, errors={"action": message})
        return bulk_delete(actor, ids)
    return bulk_update(actor, ids, payload["set"])


def check_ids(raw) -> list[int]:
    """The chosen documents' ids, in order: a non-empty list of distinct ids, at most MAX_IDS of them (else 422)."""
    if raw is None or (isinstance(raw, list) and not raw):
        message = _("Chưa chọn văn bản nào.")
        raise ValidationFailed(message, errors={"ids": message})
    if not isinstance(raw, list):
        message = _("“ids” phải là một danh sách mã văn bản.")
        raise ValidationFailed(message, errors={"ids": message})
    if len(raw) > MAX_IDS:
        message = _("Mỗi lần chỉ sửa hoặc xóa được tối đa %(max)s văn bản; đã chọn %(num)s.", max=MAX_IDS, num=len(raw))
        raise ValidationFailed(message, errors={"ids": message})
    ids = []
    for value in raw:
        # A JSON number or its digits; never a bool, a float or a number beyond the id column.
        number = row_id(value) if not isinstance(value, float) else None
        if number is None:
            message = _("Mã văn bản không hợp lệ: %(value)s.", value=str(value)[:40])
            raise ValidationFailed(message, errors={"ids": message})
        ids.append(number)
    repeated = sorted(i for i, n in Counter(ids).items() if n > 1)
    if repeated:
        message = _("Danh sách có văn bản được chọn hai lần (mã %(ids)s); mỗi văn bản chỉ chọn một lần.",
                    ids=", ".join(map(str, repeated)))
        raise ValidationFailed(message, errors={"ids": message})
    return ids


def check_changes(raw) -> dict:
    """Validate the `set` object: any of SETTABLE with proper values; return the cleaned values (else 422)."""
    if not isinstance(raw, dict) or not raw:
        message = _("“set” phải là một đối tượng có ít nhất một trong các trường: %(names)s.", names=", ".join(SETTABLE))
        raise ValidationFailed(message, errors={"set": message})
    unknown = sorted(set(raw) - set(SETTABLE))
    if unknown:
        message = _("Không sửa hàng loạt được các trường: %(names)s (chỉ nhận %(allowed)s).",
                    names=", ".join(unknown), allowed=", ".join(SETTABLE))
        raise ValidationFailed(message, errors={key: _("Không sửa hàng loạt được trường này.") for key in unknown})
    errors: dict[str, str] = {}
    values = {}
    for key, value in raw.items():
        label = str(docs.FIELD_LABELS[key])
        if key in ("year", "type") and (value is None or (isinstance(value, str) and not value.strip())):
            errors[key] = _("%(name)s không được để trống.", name=label)
        elif key == "year" and (isinstance(value, bool) or not isinstance(value, (int, str))):
            errors[key] = _("%(name)s phải là một số.", name=label)
        elif key != "year" and value is not None and not isinstance(value, str):
            errors[key] = _("%(name)s phải là một chuỗi ký tự.", name=label)
        elif key in ("bloc", "unit") and value and len(value) > CODE_MAX:
            errors[key] = _("Mã không hợp lệ (dài quá %(n)s ký tự).", n=CODE_MAX)
        else:
            # None clears a bloc, a unit or the issuer; the single edit's rules clean the rest.
            values[key] = "" if value is None else value
    if not errors:
        clean, errors = docs.clean_fields(values, partial=False)
    if errors:
        details = "; ".join(_detail(str(docs.FIELD_LABELS[k]), str(v)) for k, v in errors.items())
        raise ValidationFailed(_("Thông tin cần sửa chưa hợp lệ (%(details)s); chưa thay đổi văn bản nào.", details=details),
                               errors=errors)
    return clean


def _detail(label: str, message: str) -> str:
    """One field's refusal for the summary ("Năm: …"), without saying the field's name twice."""
    message = message.rstrip(".")
    return message if message.startswith(label) else f"{label}: {message}"


def load(ids: list[int]) -> list[Document]:
    """The live documents with these ids, in the same order; NotFound (nothing changed) if any is missing or trashed."""
    found = {d.id: d for d in db.session.scalars(
        sa.select(Document).where(Document.id.in_(ids))
        .options(joinedload(Document.bloc), joinedload(Document.unit))).unique()}
    missing = [i for i in ids if i not in found or found[i].deleted]
    if missing:
        raise NotFound(ngettext("%(num)s văn bản đã chọn không còn trong kho (không có hoặc đã ở thùng rác); "
                                "chưa thay đổi văn bản nào.",
                                "%(num)s văn bản đã chọn không còn trong kho (không có hoặc đã ở thùng rác); "
                                "chưa thay đổi văn bản nào.", len(missing)),
                       errors={"ids": _("Không tìm thấy: %(ids)s.", ids=", ".join(map(str, missing)))})
    return [found[i] for i in ids]


def named(documents: list[Document]) -> str:
    """The documents as people know them ("“15/BC-UBND”, “Giao ước…” và 3 văn bản khác"), never by internal id."""
    names = ", ".join(f"“{d.label}”" for d in documents[:NAMED])
    rest = len(documents) - NAMED
    return _("%(names)s và %(num)s văn bản khác", names=names, num=rest) if rest > 0 else names


def _may_change(actor, document: Document) -> bool:
    return policy.can(actor, "document.write", docs.scope_of(document), year=document.year)


def _refuse_unchangeable(actor, documents: list[Document], *, deleting: bool) -> None:
    refused = [d for d in documents if not _may_change(actor, d)]
    if refused:
        if deleting:
            message = _("Bạn không có quyền chuyển vào thùng rác: %(names)s. Chưa xóa văn bản nào.", names=named(refused))
        else:
            message = _("Bạn không có quyền sửa: %(names)s. Chưa thay đổi văn bản nào.", names=named(refused))
        raise Forbidden(message)


# --- edit ----------------------------------------------------------------------------------------

def bulk_update(actor, ids, changes) -> int:
    """Set the same year, type, bloc, unit and/or issuer on every document, as one transaction.

    Each document follows the single edit's rules (services.update_metadata): a new unit without a bloc takes
    the unit's bloc that year, the result must be a place the editor may file to, the edit confirms the
    metadata, and each document gets its own audit line and index update.
    """
    ids = check_ids(ids)
    clean = check_changes(changes)
    documents = load(ids)
    _refuse_unchangeable(actor, documents, deleting=False)
    targets = {d.id: docs.new_place(d, clean) for d in documents}
    _check_places(actor, documents, targets)
    with _one_commit():
        for document in documents:
            docs.apply_metadata(actor, document, clean, targets[document.id], confirm=True, how=BULK_EDIT)
    return len(documents)


@contextmanager
def _one_commit():
    """The whole batch commits once, or rolls back entirely; then the index hears of it."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    docs.outbox_written.send(current_app._get_current_object())


def _check_places(actor, documents: list[Document], targets: dict) -> None:
    """The filing rules for every resulting place, all checked before anything is written."""
    forbidden, misplaced = [], []
    for document in documents:
        try:
            docs.check_filing(actor, *targets[document.id])
        except Forbidden:
            forbidden.append(document)
        except ValidationFailed as exc:
            misplaced.append((document, "; ".join(str(v) for v in exc.errors.values()) or exc.message))
    if forbidden:
        raise Forbidden(_("Bạn không được lưu %(names)s vào khối, đơn vị và năm đã chọn: một cán bộ chỉ lưu văn bản của "
                          "đơn vị mình và, khi đơn vị là Trưởng khối năm đó, văn bản của khối. Chưa thay đổi văn bản nào.",
                          names=named(forbidden)))
    if misplaced:
        reasons = "; ".join(dict.fromkeys(reason for _doc, reason in misplaced))
        raise ValidationFailed(_("Không lưu được %(names)s vào khối đã chọn (%(reasons)s). Chưa thay đổi văn bản nào.",
                                 names=named([d for d, _reason in misplaced]), reasons=reasons),
                               errors={"bloc": reasons})


# --- delete ----------------------------------------------------------------------------------------

def bulk_delete(actor, ids) -> int:
    """Move every document to the trash (restorable by the Board), as one transaction: services.delete's steps."""
    ids = check_ids(ids)
    documents = load(ids)
    _refuse_unchangeable(actor, documents, deleting=True)
    with _one_commit():
        for document in documents:
            docs.move_to_trash(actor, document, how=BULK_DELETE)
    return len(documents)
