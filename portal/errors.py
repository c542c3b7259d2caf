"""Domain errors raised by services, and the handlers that turn any error into a Vietnamese page or JSON."""
from __future__ import annotations

import re

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.text.normalize import UnsafeText, check_plain_text


class ServiceError(Exception):
    """A refusal a user can act on; the message is Vietnamese and shown as is."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: dict | None = None, current=None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}  # field or row key -> message, shown next to the field
        self.current = current  # for conflicts: the value the other editor saved


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "too_large"


# Ids are PostgreSQL `integer` columns: anything above int4 can never name a row and must not reach the driver.
INT_MAX = 2**31 - 1


def control_message(exc: UnsafeText, label: str) -> str:
    """The Vietnamese refusal of a text field holding a control character."""
    return _("%(name)s chứa ký tự điều khiển không được phép (%(code)s); hãy gõ lại nội dung này.", name=label, code=exc.code)


def checked_text(value, field: str, *, label: str | None = None, multiline: bool = False) -> str:
    """Return user text cleaned for storage (see check_plain_text), or raise a 422 naming the field."""
    try:
        return check_plain_text(None if value is None else str(value), multiline=multiline)
    except UnsafeText as exc:
        message = control_message(exc, label or field)
        raise ValidationFailed(message, errors={field: message}) from None


def bounded_int(value, field: str, *, lo: int = 1, hi: int = INT_MAX, label: str | None = None, error=ValidationFailed) -> int:
    """Return `value` as an int in lo..hi, or raise `error` (422 by default) with a Vietnamese message naming the field."""
    name = label or field
    message = _("%(name)s phải là số nguyên từ %(lo)s đến %(hi)s.", name=name, lo=lo, hi=hi)
    if isinstance(value, bool):
        raise error(message, errors={field: message})
    if isinstance(value, float):
        if not value.is_integer():
            raise error(message, errors={field: message})
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        # int() accepts "1_000", " +5" and up to 4,300 digits: only plain short digit strings are ids or years.
        if not re.fullmatch(r"-?[0-9]{1,12}", text):
            raise error(message, errors={field: message})
        value = int(text)
    elif not isinstance(value, int):
        raise error(message, errors={field: message})
    if not lo <= value <= hi:
        raise error(message, errors={field: message})
    return value


ERROR_TITLES = {
    400: _l("Yêu cầu không hợp lệ"),
    401: _l("Cần đăng nhập"),
    403: _l("Không có quyền"),
    404: _l("Không tìm thấy"),
    405: _l("Thao tác không được hỗ trợ"),
    409: _l("Xung đột dữ liệu"),
    413: _l("Tệp quá lớn"),
    415: _l("Định dạng không được hỗ trợ"),
    422: _l("Dữ liệu không hợp lệ"),
    429: _l("Quá nhiều yêu cầu"),
    500: _l("Lỗi hệ thống"),
}


def error_message(status: int) -> str:
    """Return the Vietnamese explanation shown for an HTTP status."""
    messages = {
        400: _("Yêu cầu không hợp lệ. Vui lòng tải lại trang và thử lại."),
        401: _("Vui lòng đăng nhập để tiếp tục."),
        403: _("Tài khoản của bạn không có quyền thực hiện thao tác này."),
        404: _("Không tìm thấy trang hoặc dữ liệu được yêu cầu."),
        405: _("Thao tác này không được hỗ trợ tại địa chỉ này."),
        409: _("Dữ liệu đã được người khác thay đổi. Vui lòng tải lại và thử lại."),
        413: _("Tệp hoặc dữ liệu gửi lên quá lớn."),
        415: _("Định dạng dữ liệu không được hỗ trợ."),
        422: _("Dữ liệu không hợp lệ."),
        429: _("Bạn đã thử quá nhiều lần. Vui lòng đợi một lát rồi thử lại."),
        500: _("Đã xảy ra lỗi hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại sau."),
    }
    return messages.get(status, _("Đã xảy ra lỗi."))


def wants_json() -> bool:
    """True for API calls, which always get JSON errors."""
    return request.path.startswith("/api/")


def json_error(status: int, code: str, message: str, **extra):
    """Build the API's error body: {"error": {"code", "message", ...}}."""
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


def register_error_handlers(app) -> None:
    """Send Vietnamese error pages, or JSON under /api/."""

    @app.errorhandler(ServiceError)
    def handle_service_error(exc: ServiceError):
        db.session.rollback()
        if wants_json():
            extra = {}
            if exc.errors:
                extra["fields"] = {k: str(v) for k, v in exc.errors.items()}
            if exc.current is not None:
                extra["current"] = exc.current
            return json_error(exc.status, exc.code, str(exc.message), **extra)
        return render_error(exc.status, str(exc.message))

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                    413: "too_large", 415: "unsupported_media_type", 429: "too_many_requests"}.get(status, "error")
            # A CSRF failure is a 400 with its own reason; say so plainly.
            message = _("Thiếu hoặc sai mã chống giả mạo (CSRF).") if exc.__class__.__name__ == "CSRFError" else error_message(status)
            return json_error(status, "csrf_failed" if exc.__class__.__name__ == "CSRFError" else code, message)
        message = error_message(status)
        if exc.__class__.__name__ == "CSRFError":
            message = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang rồi thử lại.")
        return render_error(status, message)

    @app.errorhandler(StaleDataError)
    def handle_stale(exc: StaleDataError):
        # A row changed by another request between this one's read and its write (versioned rows):
        # a conflict, like a stale `version`, never a server fault.
        db.session.rollback()
        message = error_message(409)
        if wants_json():
            return json_error(409, "conflict", message)
        return render_error(409, message)

    @app.errorhandler(OverflowError)
    @app.errorhandler(sa_exc.DataError)
    def handle_out_of_range(exc: Exception):
        # The last guard for a value the checks above missed (a number beyond the database's integer, a text
        # longer than its column on PostgreSQL): the input is at fault, so say so, and nothing was saved.
        db.session.rollback()
        app.logger.warning("Value out of range on %s %s: %s", request.method, request.path, exc)
        message = _("Có giá trị vượt quá giới hạn cho phép (số quá lớn hoặc chuỗi quá dài). Chưa có gì được lưu.")
        if wants_json():
            return json_error(422, "validation_failed", message)
        return render_error(422, message)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        # Roll back so a half-done change is never committed by a later request on this session.
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "internal_error", error_message(500))
        return render_error(500, error_message(500))


def render_error(status: int, message: str):
    """Render the shared error page with a status."""
    title = str(ERROR_TITLES.get(status) or _("Lỗi"))
    return render_template("errors/error.html", status=status, title=title, message=message), status
