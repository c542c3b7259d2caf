"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json (kept honest by tests and by the fuzzer).

Every parameter carries its real type and bounds (years, ids, pages, enums, code patterns) so that a
schema-driven fuzzer (tests/test_api_fuzz.py) explores exactly what the server accepts, and the
answers it refuses are described too: 400 unreadable or too deep JSON, 401/403, 404, 409, 413 too
large, 415 not JSON, 422 invalid.
"""
from __future__ import annotations

from portal.documents.bulk import MAX_IDS
from portal.documents.models import DOCUMENT_TYPES, REPORT_KINDS
from portal.documents.services import SORTS
from portal.errors import INT_MAX
from portal.org.models import ROLES, UNIT_KINDS
from portal.org.services import MAX_YEAR, MIN_YEAR
from portal.web import YEAR_HI, YEAR_LO

ERROR = {"$ref": "#/components/schemas/Error"}
JSON = "application/json"

STATUSES = ["draft", "submitted", "appraised", "final"]
STAGES = ["self", "bloc", "appraisal"]
# Points in a request: at most two decimals, "." or "," (DESIGN §4); the server checks the range per criterion.
POINTS_IN = {"type": ["string", "null"], "pattern": "^[0-9]{1,3}([.,][0-9]{1,2})?$", "examples": ["8.5"]}
# Points in an answer: a total can go below zero with deductions.
POINTS_OUT = {"type": ["string", "null"], "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$"}
CODE_PATTERN = "^[A-Z0-9][A-Z0-9._-]{0,19}$"
# Moments are ISO 8601 in UTC, some written without an offset ("2026-03-31T08:15:00"): not all RFC 3339 "date-time".
TIMESTAMP = {"type": ["string", "null"], "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})?$",
             "description": "ISO 8601, giờ UTC (có thể không ghi múi giờ)"}
# The bloc meeting's and the leadership's moments are given in Viet Nam time, with their +07:00 offset.
LOCAL_TIMESTAMP = {**TIMESTAMP, "description": "ISO 8601, giờ Việt Nam (+07:00)"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The score feed's position: the `token` of an earlier answer to GET …/scores.
FEED_TOKEN = {"type": "string", "pattern": "^[0-9]{1,12}$", "examples": ["0", "42"]}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(item: dict) -> dict:
    return {"type": "object", "required": ["items", "total", "page", "pages"], "properties": {
        "items": {"type": "array", "items": item},
        "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1}}}


def _document_list() -> dict:
    """The archive list: beyond 10,000 matches `total` stops there and `total_exact` is false."""
    listing = _list_of(DOCUMENT)
    listing["properties"]["total_exact"] = {"type": "boolean", "description": "chỉ có (và là false) khi hơn 10.000 văn bản khớp"}
    return listing


def _error(description: str = "Lỗi") -> dict:
    return {"description": description, "content": {JSON: {"schema": ERROR}}}


def _responses(ok: dict | None, ok_status: str = "200", *errors: int, public: bool = False) -> dict:
    out = {ok_status: {"description": "OK", "content": {JSON: {"schema": ok}}} if ok is not None else {"description": "OK"}}
    for status in sorted({*(() if public else (401, 403)), *errors}):
        out[str(status)] = _error()
    return out


# Statuses every operation with a JSON body may answer: unreadable/too deep (400), too large (413), not JSON (415).
BODY_ERRORS = (400, 413, 415, 422)


def _body(schema: dict, media: str = JSON) -> dict:
    return {"required": True, "content": {media: {"schema": schema}}}


def _path(name: str, schema: dict) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query(name: str, schema: dict, description: str | None = None) -> dict:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


ID = {"type": "integer", "minimum": 1, "maximum": INT_MAX}
YEAR = _path("year", {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR})
CODE = _path("code", {"type": "string", "pattern": CODE_PATTERN})
BLOC = _path("bloc", {"type": "string", "pattern": CODE_PATTERN})
DOCUMENT_ID = _path("document_id", ID)
USERNAME = _path("username", {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{1,79}$"})
PAGE = _query("page", {"type": "integer", "minimum": 1, "maximum": INT_MAX})
YEAR_FILTER = {"type": "integer", "minimum": YEAR_LO, "maximum": YEAR_HI}
TYPE_FILTER = {"type": "string", "enum": list(DOCUMENT_TYPES)}
DOCUMENT = _ref("Document")


def _schemas() -> dict:
    text = {"type": "string"}
    nullable_text = {"type": ["string", "null"]}
    unit_ref = {"type": "object", "required": ["code", "name"], "properties": {"code": text, "name": text}}
    criterion = {"type": "object", "required": ["title", "max_points"], "properties": {
        "id": ID, "group": {"type": "string", "maxLength": 300, "examples": ["I. Thực hiện nhiệm vụ chính trị"]},
        "title": {"type": "string", "minLength": 1, "maxLength": 1000},
        "max_points": {"type": "string", "pattern": "^[0-9]{1,3}([.,][0-9]{1,2})?$", "examples": ["10"]},
        "kind": {"type": "string", "enum": ["scored", "bonus", "deduction"]},
        "guidance": {"type": ["string", "null"], "maxLength": 5000}}}
    criterion_out = {"type": "object", "required": ["id", "title", "max_points", "kind"], "properties": {
        "id": ID, "group": nullable_text, "title": text, "max_points": POINTS_OUT,
        "kind": {"type": "string", "enum": ["scored", "bonus", "deduction"]}, "guidance": nullable_text}}
    milestone = {"type": "object", "required": ["seq", "title", "due_on", "scope"], "properties": {
        "seq": {"type": "integer"}, "title": text,
        "starts_on": {"type": ["string", "null"], "format": "date"}, "due_on": {"type": "string", "format": "date"},
        "scope": {"type": "string", "enum": ["bloc", "unit", "board", "council"]},
        "responsible": {"type": "string", "enum": ["leader", "member", "board", "council"]},
        "evidence_type": {"type": ["string", "null"], "description": "mã loại văn bản; BC-SK / BC-TK: báo cáo sơ kết / tổng kết"}}}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {"code": text, "message": {"type": "string", "minLength": 1},
                           "fields": {"type": "object", "additionalProperties": text},
                           "lines": {"type": "array", "items": {"type": "object", "required": ["line", "message"], "properties": {
                               "line": {"type": "integer", "minimum": 1}, "message": text}}},
                           "current": {}}}}},
        "Unit": {"type": "object", "required": ["code", "name"], "properties": {
            "code": text, "name": text, "short_name": nullable_text,
            "kind": {"type": "string", "enum": list(UNIT_KINDS)}, "active": {"type": "boolean"}}},
        "NewUnit": {"type": "object", "required": ["code", "name"], "properties": {
            "code": {"type": "string", "pattern": CODE_PATTERN}, "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "short_name": {"type": "string", "maxLength": 80}, "kind": {"type": "string", "enum": list(UNIT_KINDS)}}},
        "Bloc": {"type": "object", "required": ["code", "name"], "properties": {
            "code": text, "name": text, "active": {"type": "boolean"}}},
        "NewBloc": {"type": "object", "required": ["code", "name"], "properties": {
            "code": {"type": "string", "pattern": CODE_PATTERN}, "name": {"type": "string", "minLength": 1, "maxLength": 200}}},
        "Membership": {"type": "object", "required": ["unit", "bloc", "role"], "properties": {
            "unit": {"type": "string", "pattern": CODE_PATTERN}, "bloc": {"type": "string", "pattern": CODE_PATTERN},
            "role": {"type": "string", "enum": list(ROLES)}}},
        "NewUser": {"type": "object", "required": ["username", "password", "role"], "properties": {
            "username": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]{1,79}$"},
            "password": {"type": "string", "minLength": 8, "maxLength": 200},
            "role": {"type": "string", "enum": ["admin", "officer", "viewer"]},
            "unit": {"type": ["string", "null"], "pattern": CODE_PATTERN}, "full_name": {"type": "string", "maxLength": 200}}},
        "User": {"type": "object", "required": ["username", "full_name", "role", "unit", "active", "last_login"], "properties": {
            "username": text, "full_name": text, "role": {"type": "string", "enum": ["admin", "officer", "viewer"]},
            "unit": nullable_text, "active": {"type": "boolean"}, "last_login": TIMESTAMP}},
        "UserPatch": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
            "role": {"type": "string", "enum": ["admin", "officer", "viewer"]},
            "unit": {"type": ["string", "null"], "pattern": CODE_PATTERN},
            "full_name": {"type": "string", "maxLength": 200}, "active": {"type": "boolean"}}},
        "PasswordChange": {"type": "object", "required": ["password"], "properties": {
            "password": {"type": "string", "minLength": 8, "maxLength": 200},
            "current": {"type": "string", "maxLength": 200, "description": "mật khẩu hiện tại (khi tự đổi mật khẩu của mình)"}}},
        "Document": {"type": "object", "required": ["id", "type", "sha256", "version", "deleted"], "properties": {
            "id": ID, "type": {"type": "string", "enum": list(DOCUMENT_TYPES)},
            "report_kind": {"type": ["string", "null"], "enum": [*REPORT_KINDS, None]},
            "number": nullable_text, "issue_date": {"type": ["string", "null"], "format": "date"},
            "year": {"type": ["integer", "null"]}, "issuer": nullable_text, "signer": nullable_text,
            "signer_title": nullable_text, "title": nullable_text, "bloc": nullable_text, "unit": nullable_text,
            "page_count": {"type": ["integer", "null"]}, "text_source": nullable_text,
            "signature": {"type": ["object", "null"], "properties": {
                "signed": {"type": "boolean"}, "intact": {"type": ["boolean", "null"]},
                "signatures": {"type": "array", "items": {"type": "object"}}}},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"}, "size": {"type": "integer", "minimum": 0},
            "original_name": text,
            "citations": {"type": "array", "items": {"type": "object", "properties": {
                "number": text, "document": {"type": ["integer", "null"]}}}},
            "cited_by": {"type": "array", "items": {"type": "object", "properties": {
                "id": ID, "number": nullable_text, "title": nullable_text}}},
            "uploaded_by": nullable_text, "uploaded_by_name": nullable_text, "uploaded_at": TIMESTAMP,
            "version": {"type": "integer", "minimum": 1}, "deleted": {"type": "boolean"},
            "confirmed": {"type": "boolean", "description": "false: thông tin do cổng tự đọc, chưa ai xác nhận"},
            "notes": {"type": "array", "items": _ref("Note")}}},
        "Note": {"type": "object", "required": ["id", "text", "author", "created_at"], "properties": {
            "id": ID, "text": {"type": "string", "minLength": 1, "maxLength": 2000},
            "author": {"type": "string", "description": "tên đăng nhập của người viết"},
            "author_name": {"type": "string", "description": "họ tên người viết, như trang hiển thị"},
            "created_at": TIMESTAMP}},
        "NewNote": {"type": "object", "required": ["text"], "additionalProperties": False, "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 2000}}},
        "DocumentBulk": {"oneOf": [
            {"type": "object", "required": ["ids", "set"], "additionalProperties": False, "properties": {
                "ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": MAX_IDS, "uniqueItems": True},
                "set": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
                    "year": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
                    "type": {"type": "string", "enum": list(DOCUMENT_TYPES)},
                    "bloc": {"type": ["string", "null"], "pattern": CODE_PATTERN},
                    "unit": {"type": ["string", "null"], "pattern": CODE_PATTERN},
                    "issuer": {"type": ["string", "null"], "maxLength": 300}}}}},
            {"type": "object", "required": ["ids", "action"], "additionalProperties": False, "properties": {
                "ids": {"type": "array", "items": ID, "minItems": 1, "maxItems": MAX_IDS, "uniqueItems": True},
                "action": {"type": "string", "enum": ["delete"]}}}]},
        "SavedViewFilters": {"type": "object", "additionalProperties": False, "properties": {
            "year": {"type": ["integer", "null"], "minimum": YEAR_LO, "maximum": YEAR_HI},
            "type": {"type": ["string", "null"], "enum": [*DOCUMENT_TYPES, None]},
            "bloc": {"type": ["string", "null"], "pattern": CODE_PATTERN, "description": "mã khối đang có"},
            "unit": {"type": ["string", "null"], "pattern": CODE_PATTERN, "description": "mã đơn vị đang có"},
            "issuer": {"type": ["string", "null"], "maxLength": 300},
            "confirmed": {"type": ["boolean", "null"], "description": "false: chỉ văn bản chưa ai xác nhận thông tin"}}},
        "SavedView": {"type": "object", "required": ["id", "name", "filters", "sort", "shared", "owner", "pinned", "url"],
                      "properties": {
            "id": ID, "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "filters": _ref("SavedViewFilters"), "sort": {"type": "string", "enum": list(SORTS)},
            "shared": {"type": "boolean", "description": "true: mọi người đăng nhập đều thấy"},
            "owner": {"type": ["string", "null"], "description": "tên đăng nhập của người lưu"},
            "owner_name": {"type": ["string", "null"], "description": "họ tên người lưu, như trang hiển thị"},
            "pinned": {"type": "boolean", "description": "người gọi đã ghim bộ lọc này lên trang chủ của mình"},
            "url": {"type": "string", "description": "trang Kho văn bản mở với đúng bộ lọc và cách sắp xếp này"},
            "stale": {"type": "array", "items": {"type": "string", "enum": ["bloc", "unit"]},
                      "description": "các điều kiện nêu khối/đơn vị không còn trong danh mục"}}},
        "NewSavedView": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "filters": _ref("SavedViewFilters"), "sort": {"type": "string", "enum": list(SORTS), "default": "date"},
            "shared": {"type": "boolean", "default": False, "description": "chia sẻ với mọi người (cán bộ, Ban TĐKT)"},
            "pinned": {"type": "boolean", "default": False, "description": "ghim lên trang chủ của tôi (tối đa 8)"}}},
        "SavedViewPatch": {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "shared": {"type": "boolean"}, "pinned": {"type": "boolean"}}},
        "DocumentPatch": {"type": "object", "required": ["version"], "properties": {
            "version": {"type": "integer", "minimum": 1, "maximum": INT_MAX},
            "type": {"type": "string", "enum": list(DOCUMENT_TYPES)},
            "report_kind": {"type": ["string", "null"], "enum": [*REPORT_KINDS, None]},
            "number": {"type": ["string", "null"], "maxLength": 80},
            "issue_date": {"type": ["string", "null"], "format": "date"},
            "year": {"type": ["integer", "null"], "minimum": MIN_YEAR, "maximum": MAX_YEAR},
            "issuer": {"type": ["string", "null"], "maxLength": 300}, "signer": {"type": ["string", "null"], "maxLength": 200},
            "signer_title": {"type": ["string", "null"], "maxLength": 200}, "title": {"type": ["string", "null"], "maxLength": 1000},
            "bloc": {"type": ["string", "null"], "pattern": CODE_PATTERN}, "unit": {"type": ["string", "null"], "pattern": CODE_PATTERN},
            "confirmed": {"type": "boolean", "enum": [True],
                          "description": "true: xác nhận thông tin văn bản (sửa bất kỳ trường nào cũng là xác nhận)"}},
            "additionalProperties": False},
        "SearchResult": {"type": "object", "required": ["items", "total", "page", "pages", "facets"], "properties": {
            "items": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {
                "id": ID, "title": nullable_text, "title_html": nullable_text, "number": nullable_text,
                "year": {"type": ["integer", "null"]}, "type": nullable_text,
                "issue_date": {"type": ["string", "null"], "format": "date"},
                "snippet": {"type": ["string", "null"], "description": "HTML, từ khớp trong <mark>"}}}},
            "total": {"type": "integer", "minimum": 0}, "total_exact": {"type": "boolean"},
            "page": {"type": "integer", "minimum": 1}, "pages": {"type": "integer", "minimum": 0, "description": "0 khi không có kết quả"},
            "facets": {"type": "object", "properties": {
                "year": {"type": "object", "additionalProperties": {"type": "integer"}},
                "type": {"type": "object", "additionalProperties": {"type": "integer"}}}},
            "took_ms": {"type": "number"}}},
        "Me": {"type": "object", "required": ["username", "role"], "properties": {
            "username": text, "full_name": text, "role": {"type": "string", "enum": ["admin", "officer", "viewer"]},
            "unit": nullable_text,
            "memberships": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                "bloc": text, "role": {"type": "string", "enum": list(ROLES)}}}}}},
        "Health": {"type": "object", "required": ["status", "db", "index", "queue"], "properties": {
            "status": {"type": "string", "enum": ["ok", "down"]},
            **{part: {"type": "string", "enum": ["ok", "down"]} for part in ("db", "index", "queue")},
            "failing": {"type": "array", "items": {"type": "string"}}}},
        "Criterion": criterion,
        "CriterionOut": criterion_out,
        "CriteriaTable": {"type": "object", "required": ["criteria", "locked"], "properties": {
            "bloc": text, "year": {"type": "integer"}, "locked": {"type": "boolean"},
            "status": {"type": "string", "enum": STATUSES}, "version": {"type": "integer", "minimum": 0},
            "criteria": {"type": "array", "items": criterion_out}, "max_total": POINTS_OUT,
            "max_bonus": POINTS_OUT, "max_deduction": POINTS_OUT}},
        "Score": {"type": "object", "required": ["criterion", "stage", "points", "version"], "properties": {
            "criterion": ID, "stage": {"type": "string", "enum": STAGES}, "points": POINTS_OUT,
            "version": {"type": "integer", "minimum": 0, "description": "0 khi chưa từng chấm"}, "note": text}},
        "SavedScore": {"type": "object", "required": ["scorecard", "criterion", "stage", "points", "version"], "properties": {
            "scorecard": ID, "criterion": ID, "stage": {"type": "string", "enum": STAGES}, "points": POINTS_OUT,
            "version": {"type": "integer", "minimum": 1}, "note": nullable_text, "updated_by": nullable_text,
            "updated_at": TIMESTAMP}},
        "Scores": {"type": "object", "required": ["status", "criteria_version", "token", "scorecards"], "properties": {
            "bloc": text, "year": {"type": "integer"}, "status": {"type": "string", "enum": STATUSES},
            "criteria_version": {"type": "integer", "minimum": 0, "description": "phiên bản bảng tiêu chí; đổi thì đọc lại cả bảng"},
            "token": {**FEED_TOKEN, "description": "gửi lại ở ?since= để chỉ nhận các điểm thay đổi sau lần đọc này"},
            "reset": {"type": "boolean", "const": True,
                      "description": "có khi mã since vượt quá nguồn (cơ sở dữ liệu đã khôi phục): trả lời đầy đủ, không chỉ phần thay đổi"},
            "criteria": {"type": "array", "items": criterion_out, "description": "không có khi gọi với ?since="},
            "scorecards": {"type": "array", "items": {"type": "object", "required": ["id", "unit", "scores"], "properties": {
                "id": ID, "unit": unit_ref, "self_submitted": {"type": "boolean"},
                "scores": {"type": "array", "items": _ref("Score")}}}}}},
        "Results": {"type": "object", "required": ["status", "items"], "properties": {
            "bloc": text, "year": {"type": "integer"}, "status": {"type": "string", "enum": STATUSES},
            "thresholds": {"type": "object", "additionalProperties": POINTS_OUT},
            "items": {"type": "array", "items": {"type": "object", "required": ["unit", "totals", "rank"], "properties": {
                "unit": unit_ref, "totals": {"type": "object", "properties": {s: POINTS_OUT for s in STAGES}},
                "total": POINTS_OUT, "rank": {"type": ["integer", "null"]}, "tie": {"type": "boolean"},
                "classification": {"type": ["string", "null"], "enum": ["xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh", None]},
                "flag": {"type": ["string", "null"], "enum": ["co_ubnd_tinh", "co_chinh_phu", None]},
                "appraised": {"type": ["boolean", "null"]},
                "complete": {"type": "boolean",
                             "description": "false khi đơn vị còn thiếu điểm Khối chấm ở một tiêu chí chấm điểm: rank, classification null"}}}},
            "flag_note": nullable_text}},
        "Leadership": {"type": "object", "required": ["bloc", "year", "for_year", "leader", "deputy", "note", "state",
                                                      "confirmed", "version"], "properties": {
            "bloc": text, "year": {"type": "integer"}, "for_year": {"type": "integer"},
            "leader": {"type": ["string", "null"], "description": "mã đơn vị đề xuất làm Trưởng khối năm for_year"},
            "deputy": {"type": ["string", "null"], "description": "mã đơn vị đề xuất làm Phó Trưởng khối năm for_year"},
            "note": text, "state": {"type": "string", "enum": ["none", "proposed", "confirmed"]},
            "proposed_by": nullable_text, "proposed_at": LOCAL_TIMESTAMP,
            "confirmed": {"type": "boolean"}, "confirmed_by": nullable_text, "confirmed_at": LOCAL_TIMESTAMP,
            "version": {"type": "integer", "minimum": 0}}},
        "Meeting": {"type": "object", "required": ["bloc", "year", "held_at", "place", "chair", "secretary", "present_units",
                                                   "content", "version"], "properties": {
            "bloc": text, "year": {"type": "integer"}, "held_at": LOCAL_TIMESTAMP, "place": text, "chair": text, "secretary": text,
            "present_units": {"type": "array", "items": unit_ref}, "content": text,
            "version": {"type": "integer", "minimum": 0}}},
        "Milestone": milestone,
        "Milestones": {"type": "object", "required": ["year", "items"], "properties": {
            "year": {"type": "integer"}, "items": {"type": "array", "items": milestone},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}},
        "MilestoneIn": {"type": "object", "required": ["title", "due_on"], "properties": {
            "id": ID, "seq": {"type": "integer", "minimum": 1, "maximum": 999},
            "title": {"type": "string", "minLength": 1, "maxLength": 300},
            "starts_on": {"type": ["string", "null"], "format": "date"}, "due_on": {"type": "string", "format": "date"},
            "scope": {"type": "string", "enum": ["bloc", "unit", "board", "council"]},
            "responsible": {"type": "string", "enum": ["leader", "member", "board", "council"]},
            "evidence_type": {"type": ["string", "null"], "enum": [*DOCUMENT_TYPES, "BC-SK", "BC-TK", None]}}},
        "Memberships": {"type": "object", "required": ["year", "items"], "properties": {
            "year": {"type": "integer"}, "changed": {"type": "integer"},
            "items": {"type": "array", "items": _ref("Membership")},
            "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}},
    }


def openapi_spec() -> dict:
    """Return the OpenAPI 3.1 document of the JSON API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Thi đua Portal API", "version": "1",
                 "description": "API của Cổng Thi đua - Khen thưởng. Xác thực bằng phiên đăng nhập (kèm mã CSRF "
                                "ở header X-CSRFToken) hoặc `Authorization: Bearer <mã API>`. Ngày dạng YYYY-MM-DD; "
                                "điểm là chuỗi số thập phân. Lỗi: {\"error\": {\"code\", \"message\"}} với thông báo "
                                "tiếng Việt; thân JSON tối đa 2 MB và 32 cấp lồng nhau."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": _schemas(),
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {**_core_paths(), **_schedule_paths(), **scoring_paths(), **leadership_paths(), **audit_paths()},
    }


def _core_paths() -> dict:
    return {
        "/openapi.json": {"get": {"summary": "Mô tả OpenAPI của API này (không cần đăng nhập)", "security": [],
                                  "responses": _responses({"type": "object"}, public=True)}},
        "/health": {"get": {"summary": "Tình trạng cơ sở dữ liệu, chỉ mục tìm kiếm và hàng đợi (không cần đăng nhập)",
                            "security": [],
                            "responses": {"200": {"description": "Mọi phần hoạt động", "content": {JSON: {"schema": _ref("Health")}}},
                                          "503": {"description": "Có phần không hoạt động", "content": {JSON: {"schema": _ref("Health")}}}}}},
        "/me": {"get": {"summary": "Tài khoản đang gọi và khối, vai trò của đơn vị theo năm",
                        "responses": _responses(_ref("Me"))}},
        "/units": {
            "get": {"summary": "Danh sách đơn vị (thứ tự tiếng Việt)",
                    "parameters": [_query("q", {"type": "string", "maxLength": 200}), PAGE],
                    "responses": _responses(_list_of(_ref("Unit")), "200", 400)},
            "post": {"summary": "Thêm đơn vị (Ban TĐKT)", "requestBody": _body(_ref("NewUnit")),
                     "responses": _responses(_ref("Unit"), "201", *BODY_ERRORS)}},
        "/units/{code}": {"get": {"summary": "Một đơn vị", "parameters": [CODE],
                                  "responses": _responses(_ref("Unit"), "200", 404)}},
        "/blocs": {
            "get": {"summary": "Danh sách khối thi đua", "parameters": [PAGE],
                    "responses": _responses(_list_of(_ref("Bloc")), "200", 400)},
            "post": {"summary": "Thêm khối (Ban TĐKT)", "requestBody": _body(_ref("NewBloc")),
                     "responses": _responses(_ref("Bloc"), "201", *BODY_ERRORS)}},
        "/blocs/{code}": {"get": {"summary": "Một khối", "parameters": [CODE],
                                  "responses": _responses(_ref("Bloc"), "200", 404)}},
        "/years/{year}/memberships": {
            "get": {"summary": "Thành viên các khối trong năm", "parameters": [YEAR],
                    "responses": _responses(_ref("Memberships"), "200", 422)},
            "put": {"summary": "Thay toàn bộ danh sách thành viên của năm (một giao dịch; Ban TĐKT)", "parameters": [YEAR],
                    "requestBody": _body({"oneOf": [
                        {"type": "array", "items": _ref("Membership")},
                        {"type": "object", "required": ["items"], "properties": {
                            "items": {"type": "array", "items": _ref("Membership")}}}]}),
                    "responses": _responses(_ref("Memberships"), "200", *BODY_ERRORS)}},
        "/documents": {
            "get": {"summary": "Danh sách văn bản (lọc theo năm, loại, khối, đơn vị, đã xác nhận hay chưa)",
                    "parameters": [_query("year", YEAR_FILTER), _query("type", TYPE_FILTER),
                                   _query("bloc", {"type": "string", "pattern": CODE_PATTERN}),
                                   _query("unit", {"type": "string", "pattern": CODE_PATTERN}),
                                   _query("issuer", {"type": "string", "maxLength": 300}),
                                   _query("sort", {"type": "string", "enum": list(SORTS)}),
                                   _query("confirmed", {"type": "string", "enum": ["true", "false"]},
                                          "false: chỉ các văn bản chưa ai xác nhận thông tin (hộp chờ xác nhận)"), PAGE],
                    "responses": _responses(_document_list(), "200", 404, 422)},
            "post": {"summary": "Tải lên một văn bản PDF (multipart `file`, kèm thông tin nếu có)",
                     "requestBody": _body({
                         "type": "object", "required": ["file"], "properties": {
                             "file": {"type": "string", "format": "binary"},
                             "type": TYPE_FILTER, "number": {"type": "string", "maxLength": 80},
                             "issue_date": {"type": "string", "format": "date"},
                             "year": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
                             "bloc": {"type": "string", "pattern": CODE_PATTERN}, "unit": {"type": "string", "pattern": CODE_PATTERN},
                             "title": {"type": "string", "maxLength": 1000}}}, "multipart/form-data"),
                     "responses": _responses(DOCUMENT, "201", 400, 404, 409, 413, 415, 422, 429)}},
        "/documents/export.xlsx": {"get": {
            "summary": "Sổ đăng ký văn bản (XLSX) của toàn bộ danh sách đã lọc (mọi trang): STT, số ký hiệu, ngày ban hành, "
                       "loại, cơ quan ban hành, người ký, trích yếu, khối, đơn vị; luôn bằng tiếng Việt",
            "parameters": [_query("year", YEAR_FILTER), _query("type", TYPE_FILTER),
                           _query("bloc", {"type": "string", "pattern": CODE_PATTERN}),
                           _query("unit", {"type": "string", "pattern": CODE_PATTERN}),
                           _query("issuer", {"type": "string", "maxLength": 300}),
                           _query("sort", {"type": "string", "enum": list(SORTS)}),
                           _query("confirmed", {"type": "string", "enum": ["true", "false"]},
                                  "false: chỉ các văn bản chưa ai xác nhận thông tin")],
            "responses": {"200": {"description": "Tệp .xlsx", "content": {XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}},
                          **{k: v for k, v in _responses(None, "200", 422).items() if k != "200"}}}},
        "/documents/bulk": {"post": {
            "summary": "Sửa hoặc chuyển vào thùng rác nhiều văn bản một lần (tất cả hoặc không văn bản nào)",
            "description": "`set`: năm, loại, khối, đơn vị, cơ quan ban hành (đơn vị không kèm khối: khối của đơn vị năm đó; "
                           "null: bỏ khối, đơn vị, cơ quan ban hành); mỗi văn bản được xác nhận, ghi nhật ký và cập nhật chỉ mục. "
                           "`action: delete`: chuyển vào thùng rác. 403 nếu có văn bản người gọi không được sửa, hoặc không được "
                           "lưu vào chỗ mới; 404 nếu có mã không có hoặc đã ở thùng rác; không thay đổi gì.",
            "requestBody": _body(_ref("DocumentBulk")),
            "responses": _responses({"type": "object", "required": ["updated"], "properties": {
                "updated": {"type": "integer", "minimum": 1, "maximum": MAX_IDS}}}, "200", 404, 409, *BODY_ERRORS)}},
        "/documents/{document_id}": {
            "get": {"summary": "Một văn bản, kèm văn bản được dẫn chiếu và văn bản dẫn chiếu đến nó", "parameters": [DOCUMENT_ID],
                    "responses": _responses(DOCUMENT, "200", 404)},
            "patch": {"summary": "Sửa thông tin văn bản (kèm `version`; 409 nếu đã có người sửa trước)", "parameters": [DOCUMENT_ID],
                      "requestBody": _body(_ref("DocumentPatch")),
                      "responses": _responses(DOCUMENT, "200", 404, 409, *BODY_ERRORS)},
            "delete": {"summary": "Chuyển văn bản vào thùng rác", "parameters": [DOCUMENT_ID],
                       "responses": _responses(DOCUMENT, "200", 404)}},
        "/documents/{document_id}/restore": {"post": {"summary": "Khôi phục văn bản từ thùng rác", "parameters": [DOCUMENT_ID],
                                                      "responses": _responses(DOCUMENT, "200", 404)}},
        "/documents/{document_id}/notes": {"post": {
            "summary": "Thêm ghi chú vào văn bản (cán bộ và Ban TĐKT; tìm kiếm được)", "parameters": [DOCUMENT_ID],
            "requestBody": _body(_ref("NewNote")),
            "responses": _responses(_ref("Note"), "201", 404, 409, *BODY_ERRORS)}},
        "/documents/{document_id}/notes/{note_id}": {"delete": {
            "summary": "Xóa ghi chú (người viết hoặc Ban TĐKT)", "parameters": [DOCUMENT_ID, _path("note_id", ID)],
            "responses": _responses(None, "204", 404)}},
        "/documents/{document_id}/file": {"get": {
            "summary": "Tệp gốc, nguyên vẹn từng byte", "parameters": [DOCUMENT_ID],
            "responses": {"200": {"description": "Tệp PDF gốc", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                          **{k: v for k, v in _responses(None, "200", 404).items() if k != "200"}}}},
        "/documents/{document_id}/thumbnail": {"get": {
            "summary": "Ảnh trang đầu (PNG rộng khoảng 240 px); văn bản không vẽ được trang đầu: ảnh khung trang trống "
                       "(tiêu đề X-Thumbnail: placeholder). ETag theo SHA-256, If-None-Match → 304",
            "parameters": [DOCUMENT_ID],
            "responses": {"200": {"description": "Ảnh PNG", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                          "304": {"description": "Ảnh trình duyệt đang giữ vẫn đúng (If-None-Match)"},
                          **{k: v for k, v in _responses(None, "200", 404).items() if k != "200"}}}},
        "/saved-views": {
            "get": {"summary": "Bộ lọc đã lưu của tôi, rồi các bộ lọc người khác chia sẻ (kèm tôi đã ghim hay chưa)",
                    "responses": _responses(_list_of(_ref("SavedView")), "200")},
            "post": {"summary": "Lưu bộ lọc và cách sắp xếp của Kho văn bản thành một bộ lọc có tên (tên không trùng "
                                "với bộ lọc khác của mình: 422); chia sẻ: cán bộ và Ban TĐKT",
                     "requestBody": _body(_ref("NewSavedView")),
                     "responses": _responses(_ref("SavedView"), "201", *BODY_ERRORS)}},
        "/saved-views/{view_id}": {
            "patch": {"summary": "Đổi tên, chia sẻ hoặc thôi chia sẻ (người lưu; Ban TĐKT với bộ lọc chia sẻ), ghim hoặc bỏ ghim "
                                 "cho riêng mình; thôi chia sẻ thì ghim của người khác bị bỏ",
                      "parameters": [_path("view_id", ID)], "requestBody": _body(_ref("SavedViewPatch")),
                      "responses": _responses(_ref("SavedView"), "200", 404, *BODY_ERRORS)},
            "delete": {"summary": "Xóa bộ lọc (người lưu; Ban TĐKT với bộ lọc chia sẻ); bộ lọc riêng của người khác: 404",
                       "parameters": [_path("view_id", ID)],
                       "responses": _responses(None, "204", 404)}},
        "/search": {"get": {"summary": "Tìm kiếm văn bản qua các năm (không dấu cũng tìm được); like=<id>: các văn bản "
                                       "giống văn bản đó nhất (không gồm chính nó), cùng dạng kết quả",
                            "parameters": [_query("q", {"type": "string", "maxLength": 500}),
                                           _query("like", {"type": "integer", "minimum": 1, "maximum": INT_MAX},
                                                  "mã văn bản: tìm các văn bản tương tự (không dùng cùng q: 422; "
                                                  "văn bản không có hoặc đã vào thùng rác: 404)"),
                                           _query("year_from", YEAR_FILTER), _query("year_to", YEAR_FILTER),
                                           _query("type", TYPE_FILTER),
                                           _query("bloc", {"type": "string", "pattern": CODE_PATTERN}),
                                           _query("unit", {"type": "string", "pattern": CODE_PATTERN}),
                                           _query("sort", {"type": "string", "enum": ["relevance", "date"]}),
                                           _query("mode", {"type": "string", "enum": ["full", "active"]}),
                                           _query("page", {"type": "integer", "minimum": 1, "maximum": 1000})],
                            "responses": _responses(_ref("SearchResult"), "200", 404, 422)}},
        "/users": {"get": {"summary": "Danh sách tài khoản (Ban TĐKT)", "parameters": [PAGE],
                           "responses": _responses(_list_of(_ref("User")), "200", 400)},
                   "post": {"summary": "Tạo tài khoản (Ban TĐKT)", "requestBody": _body(_ref("NewUser")),
                            "responses": _responses(_ref("User"), "201", *BODY_ERRORS)}},
        "/users/{username}": {"patch": {
            "summary": "Sửa vai trò, đơn vị, họ tên hoặc khóa/mở tài khoản (Ban TĐKT); khóa thì mọi phiên và mã API hết hiệu lực ngay",
            "parameters": [USERNAME], "requestBody": _body(_ref("UserPatch")),
            "responses": _responses(_ref("User"), "200", 404, *BODY_ERRORS)}},
        "/users/{username}/password": {"post": {
            "summary": "Đặt mật khẩu: người dùng tự đổi gửi {current, password}; Ban TĐKT gửi {password} (mật khẩu tạm, "
                       "phải đổi khi đăng nhập). Các phiên khác của người dùng kết thúc.",
            "parameters": [USERNAME], "requestBody": _body(_ref("PasswordChange")),
            "responses": _responses(None, "204", 404, *BODY_ERRORS)}},
    }


def _schedule_paths() -> dict:
    return {
        "/years/{year}/milestones": {
            "get": {"summary": "Lịch công việc của năm: các mốc theo thứ tự", "parameters": [YEAR],
                    "responses": _responses(_ref("Milestones"), "200", 422)},
            "put": {"summary": "Thay toàn bộ lịch của năm (một giao dịch; Ban TĐKT). Ngày dạng YYYY-MM-DD hoặc dd/mm/yyyy; "
                               "mốc giữ nguyên tên (hoặc gửi kèm `id`) giữ các lần đánh dấu hoàn thành",
                    "parameters": [YEAR],
                    "requestBody": _body({"oneOf": [
                        {"type": "array", "items": _ref("MilestoneIn")},
                        {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": _ref("MilestoneIn")}}}]}),
                    "responses": _responses(_ref("Milestones"), "200", 409, *BODY_ERRORS)}},
        "/years/{year}/milestones/propose": {"post": {
            "summary": "Đề xuất lịch của năm đọc từ văn bản kế hoạch (KH) đã lưu trữ; không lưu (Ban TĐKT)", "parameters": [YEAR],
            "requestBody": _body({"type": "object", "required": ["document"], "properties": {"document": ID}}),
            "responses": _responses({"type": "object", "required": ["year", "document", "items"], "properties": {
                "year": {"type": "integer"}, "document": {"type": "object"},
                "items": {"type": "array", "items": {"type": "object", "properties": {
                    "seq": {"type": "integer"}, "title": {"type": "string"}, "starts_on": {"type": ["string", "null"]},
                    "due_on": {"type": "string"}, "scope": {"type": "string"}, "responsible": {"type": "string"},
                    "evidence_type": {"type": ["string", "null"]}, "source_text": {"type": "string"},
                    "source_start": {"type": "integer"}, "source_end": {"type": "integer"},
                    "confidence": {"type": "string", "enum": ["high", "low"]}, "notes": {"type": "array", "items": {"type": "string"}}}}}}},
                "200", 404, *BODY_ERRORS)}},
        "/years/{year}/milestones/copy": {"post": {
            "summary": "Sao chép lịch của năm khác, mọi ngày dời theo số năm (29/02 thành 28/02); 409 nếu năm đã có lịch, trừ khi `replace` (Ban TĐKT)",
            "parameters": [YEAR],
            "requestBody": _body({"type": "object", "required": ["from_year"], "properties": {
                "from_year": {"type": "integer", "minimum": MIN_YEAR, "maximum": MAX_YEAR},
                "replace": {"type": "boolean", "default": False}}}),
            "responses": _responses(_ref("Milestones"), "201", 409, *BODY_ERRORS)}},
        "/years/{year}/progress": {"get": {
            "summary": "Tiến độ từng khối theo từng mốc: trạng thái, hạn, ngày hoàn thành, minh chứng (số đơn vị với mốc theo đơn vị)",
            "parameters": [YEAR],
            "responses": _responses({"type": "object", "required": ["year", "blocs"], "properties": {
                "year": {"type": "integer"}, "today": {"type": "string", "format": "date"},
                "milestones": {"type": "array", "items": {"type": "object"}},
                "blocs": {"type": "array", "items": {"type": "object", "properties": {
                    "bloc": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
                    "milestones": {"type": "array", "items": {"type": "object", "properties": {
                        "seq": {"type": "integer"},
                        "status": {"type": "string", "enum": ["not_open", "open", "due_soon", "overdue", "done_on_time", "done_late"]},
                        "starts_on": {"type": ["string", "null"], "format": "date"},
                        "due_on": {"type": "string", "format": "date"}, "done_on": {"type": ["string", "null"], "format": "date"},
                        "evidence": {"type": ["object", "null"], "description": "{kind: document, document, number, title, date} "
                                                                                 "hoặc {kind: manual, note, checked_by, checked_at, done_on}"},
                        "units": {"type": ["object", "null"], "properties": {"done": {"type": "integer"}, "late": {"type": "integer"},
                                                                              "total": {"type": "integer"}}}}}}}}}}},
                "200", 422)}},
    }


def scoring_paths() -> dict:
    """The scoring routes (criteria, scores, results); points are decimal strings."""
    results = _ref("Results")

    def move(summary, body=None):
        op = {"summary": summary, "parameters": [YEAR, BLOC], "responses": _responses(results, "200", 404, 409, 422)}
        if body:
            op["requestBody"] = _body(body)
            op["responses"] = _responses(results, "200", 404, 409, *BODY_ERRORS)
        return {"post": op}

    def docx(summary):
        return {"get": {"summary": summary, "parameters": [YEAR, BLOC],
                        "responses": {"200": {"description": "Bản thảo Word (.docx)",
                                              "content": {DOCX_MIME: {"schema": {"type": "string", "format": "binary"}}}},
                                      **{k: v for k, v in _responses(None, "200", 404, 422).items() if k != "200"}}}}

    return {
        "/years/{year}/blocs/{bloc}/criteria": {
            "get": {"summary": "Bảng tiêu chí của khối trong năm (kèm id và locked)", "parameters": [YEAR, BLOC],
                    "responses": _responses(_ref("CriteriaTable"), "200", 404, 422)},
            "put": {"summary": "Thay cả bảng tiêu chí theo thứ tự (Trưởng khối, Ban TĐKT); 409 khi đã khóa", "parameters": [YEAR, BLOC],
                    "requestBody": _body({"type": "object", "required": ["criteria"], "properties": {
                        "criteria": {"type": "array", "maxItems": 200, "items": _ref("Criterion")},
                        "version": {"type": "integer", "minimum": 0, "maximum": INT_MAX}}}),
                    "responses": _responses(_ref("CriteriaTable"), "200", 404, 409, *BODY_ERRORS)}},
        "/years/{year}/blocs/{bloc}/scores": {"get": {
            "summary": "Điểm của các phiếu chấm mà người gọi được xem: mọi tiêu chí × giai đoạn; với ?since= chỉ các điểm "
                       "thay đổi sau mã đó, kèm mã mới (màn hình họp trực tiếp đọc mỗi 1,5 giây)",
            "parameters": [YEAR, BLOC, _query("since", FEED_TOKEN, "mã token của lần đọc trước")],
            "responses": _responses(_ref("Scores"), "200", 404, 422)}},
        "/years/{year}/blocs/{bloc}/scores/template.xlsx": {"get": {
            "summary": "Mẫu Excel nhập điểm của giai đoạn (self: đơn vị của mình, Ban TĐKT: mọi đơn vị; bloc: Trưởng khối, Ban TĐKT)",
            "parameters": [YEAR, BLOC, {"name": "stage", "in": "query", "required": True,
                                        "schema": {"type": "string", "enum": ["self", "bloc"]}}],
            "responses": {"200": {"description": "Tệp .xlsx", "content": {XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}},
                          **{k: v for k, v in _responses(None, "200", 404, 409, 422).items() if k != "200"}}}},
        "/years/{year}/blocs/{bloc}/scores/import": {"post": {
            "summary": "Nhập điểm từ mẫu Excel đã điền: lưu tất cả hoặc không ô nào; 422 kèm error.lines, 409 khi ô đã bị sửa sau khi lập mẫu",
            "parameters": [YEAR, BLOC],
            "requestBody": _body({"type": "object", "required": ["file", "stage"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "stage": {"type": "string", "enum": ["self", "bloc"]}}}, "multipart/form-data"),
            "responses": _responses({"type": "object", "required": ["saved"], "properties": {
                "saved": {"type": "integer", "minimum": 0}}}, "200", 400, 404, 409, 413, 415, 422)}},
        "/scores/{scorecard}/{criterion}/{stage}": {"put": {
            "summary": "Lưu một ô điểm dựa trên version đã đọc; 409 kèm giá trị hiện tại nếu đã cũ, 422 nếu điểm sai",
            "parameters": [_path("scorecard", ID), _path("criterion", ID), _path("stage", {"type": "string", "enum": STAGES})],
            "requestBody": _body({"type": "object", "required": ["points", "version"], "properties": {
                "points": POINTS_IN, "version": {"type": "integer", "minimum": 0, "maximum": INT_MAX},
                "note": {"type": "string", "maxLength": 2000}}}),
            "responses": _responses(_ref("SavedScore"), "200", 404, 409, *BODY_ERRORS)}},
        "/years/{year}/blocs/{bloc}/results": {"get": {
            "summary": "Kết quả: tổng điểm từng giai đoạn, xếp thứ (đồng hạng), xếp loại, đề nghị cờ", "parameters": [YEAR, BLOC],
            "responses": _responses(results, "200", 404, 422)}},
        "/years/{year}/blocs/{bloc}/results/submit": move("Gửi kết quả (Trưởng khối): draft → submitted"),
        "/years/{year}/blocs/{bloc}/results/appraise": move("Xác nhận thẩm định (Ban TĐKT): submitted → appraised"),
        "/years/{year}/blocs/{bloc}/results/finalize": move("Công nhận kết quả (Ban TĐKT thay Hội đồng): appraised → final"),
        "/years/{year}/blocs/{bloc}/results/reopen": move("Mở lại một bước (Ban TĐKT), bắt buộc lý do", {
            "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 1000}}}),
        "/years/{year}/blocs/{bloc}/record.docx": docx(
            "Biên bản họp Khối (bản thảo Word theo Nghị định 30/2020/NĐ-CP), luôn bằng tiếng Việt; quyền như xem kết quả"),
        "/years/{year}/blocs/{bloc}/report.docx": docx(
            "Báo cáo tổng kết của Khối (bản thảo Word theo Nghị định 30/2020/NĐ-CP), luôn bằng tiếng Việt; quyền như xem kết quả"),
    }


def leadership_paths() -> dict:
    """The bloc meeting (details) and its proposal of next year's leader and deputy, confirmed by the Board."""
    version = {"type": "integer", "minimum": 0, "maximum": INT_MAX, "description": "0 khi chưa có gì"}
    code_or_null = {"type": ["string", "null"], "maxLength": 20, "examples": ["U3"]}
    return {
        "/years/{year}/blocs/{bloc}/leadership": {
            "get": {"summary": "Đề xuất Trưởng khối, Phó Trưởng khối năm sau tại cuộc họp Khối năm {year}; đã xác nhận chưa",
                    "parameters": [YEAR, BLOC], "responses": _responses(_ref("Leadership"), "200", 404, 422)},
            "put": {"summary": "Ghi đề xuất (Trưởng khối năm {year}, Ban TĐKT); sau khi Ban xác nhận chỉ Ban sửa được",
                    "parameters": [YEAR, BLOC],
                    "requestBody": _body({"type": "object", "required": ["leader", "version"], "properties": {
                        "leader": code_or_null, "deputy": code_or_null, "note": {"type": ["string", "null"], "maxLength": 2000},
                        "version": version}}),
                    "responses": _responses(_ref("Leadership"), "200", 404, 409, *BODY_ERRORS)}},
        "/years/{year}/blocs/{bloc}/leadership/confirm": {"post": {
            "summary": "Ban TĐKT xác nhận đề xuất vào danh sách thành viên năm sau (quyền chuyển ngay)",
            "parameters": [YEAR, BLOC],
            "requestBody": {"required": False, "content": {JSON: {"schema": {"type": "object", "properties": {
                "version": {**version, "description": "nếu gửi: phiên bản đề xuất Ban đã xem"}}}}}},
            "responses": _responses(_ref("Leadership"), "200", 404, 409, *BODY_ERRORS)}},
        "/years/{year}/blocs/{bloc}/meeting": {
            "get": {"summary": "Thông tin cuộc họp Khối năm {year}: thời gian, địa điểm, chủ trì, thư ký, đơn vị dự họp, nội dung",
                    "parameters": [YEAR, BLOC], "responses": _responses(_ref("Meeting"), "200", 404, 422)},
            "put": {"summary": "Ghi thông tin cuộc họp (Trưởng khối năm {year}, Ban TĐKT)", "parameters": [YEAR, BLOC],
                    "requestBody": _body({"type": "object", "required": ["version"], "properties": {
                        "held_at": {"type": ["string", "null"], "maxLength": 40,
                                    "examples": ["2026-11-20T08:30", "20/11/2026 08:30"],
                                    "description": "ISO 8601 (không ghi múi giờ: giờ Việt Nam) hoặc dd/mm/yyyy HH:MM"},
                        "place": {"type": ["string", "null"], "maxLength": 300},
                        "chair": {"type": ["string", "null"], "maxLength": 300},
                        "secretary": {"type": ["string", "null"], "maxLength": 300},
                        "present_units": {"type": "array", "maxItems": 200, "items": {"type": "string", "pattern": CODE_PATTERN}},
                        "content": {"type": ["string", "null"], "maxLength": 20000},
                        "version": version}}),
                    "responses": _responses(_ref("Meeting"), "200", 404, 409, *BODY_ERRORS)}},
    }


def audit_paths() -> dict:
    """The audit trail (Board): every feature's changes, newest first, with readable before/after."""
    code_word = {"type": "string", "pattern": "^[a-z][a-z0-9_.]{0,39}$"}
    day = {"type": "string", "maxLength": 40, "examples": ["2026-03-31", "31/03/2026"]}
    event = {"type": "object", "required": ["at", "actor", "action", "object", "summary", "before", "after"], "properties": {
        "at": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+07:00$",
               "description": "ISO 8601, giờ Việt Nam (+07:00)"},
        "actor": {"type": "string", "description": "họ tên người thực hiện; “Hệ thống” cho thao tác tự động"},
        "action": {"type": "string"}, "object": {"type": "string", "description": "loại:mã, ví dụ document:12, unit:U1"},
        "summary": {"type": "string"}, "before": {}, "after": {}}}
    listing = _list_of(event)
    listing["properties"]["next_page"] = {"type": ["integer", "null"], "minimum": 2}
    return {
        "/audit": {"get": {
            "summary": "Nhật ký thay đổi của mọi chức năng, mới nhất trước, 50 mục một trang (Ban TĐKT)",
            "parameters": [
                _query("object", {"type": "string", "maxLength": 121, "pattern": "^[a-z][a-z0-9_.]{0,39}(:.{0,80})?$",
                                  "examples": ["document:12", "unit"]}, "loại đối tượng, hoặc loại:mã"),
                _query("actor", {"type": "string", "maxLength": 80}, "tên đăng nhập người thực hiện; system cho hệ thống"),
                _query("action", code_word),
                _query("since", day, "từ ngày (giờ Việt Nam), YYYY-MM-DD hoặc dd/mm/yyyy"),
                _query("until", day, "đến hết ngày (giờ Việt Nam), YYYY-MM-DD hoặc dd/mm/yyyy"), PAGE],
            "responses": _responses(listing, "200", 422)}},
    }
