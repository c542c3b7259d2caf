"""The OpenAPI description of /api/v1, served at /api/v1/openapi.json (kept honest by tests)."""
from __future__ import annotations

ERROR = {"$ref": "#/components/schemas/Error"}


def _list_of(ref: str) -> dict:
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}}


def _responses(ok: dict, ok_status: str = "200", *errors: int) -> dict:
    out = {ok_status: {"description": "OK", "content": {"application/json": {"schema": ok}}}}
    for status in (401, 403, *errors):
        out[str(status)] = {"description": "Lỗi", "content": {"application/json": {"schema": ERROR}}}
    return out


YEAR = {"name": "year", "in": "path", "required": True, "schema": {"type": "integer"}}
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
PAGE = {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
DOCUMENT_ID = {"name": "document_id", "in": "path", "required": True, "schema": {"type": "integer"}}
DOCUMENT = {"$ref": "#/components/schemas/Document"}


def _query(*names: str) -> list[dict]:
    return [{"name": n, "in": "query", "schema": {"type": "integer" if n in ("year", "year_from", "year_to") else "string"}}
            for n in names]


def openapi_spec() -> dict:
    """Return the OpenAPI 3.1 document of the JSON API."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Thi đua Portal API", "version": "1",
                 "description": "API của Cổng Thi đua - Khen thưởng. Xác thực bằng phiên đăng nhập (kèm mã CSRF "
                                "ở header X-CSRFToken) hoặc `Authorization: Bearer <mã API>`. Ngày dạng YYYY-MM-DD; "
                                "điểm là chuỗi số thập phân."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "session"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                   "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                                   "current": {}}}}},
                "Unit": {"type": "object", "required": ["code", "name"], "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"}, "short_name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["so_nganh", "dia_phuong", "doanh_nghiep", "doan_the", "khac"]},
                    "active": {"type": "boolean"}}},
                "Bloc": {"type": "object", "required": ["code", "name"], "properties": {
                    "code": {"type": "string"}, "name": {"type": "string"}, "active": {"type": "boolean"}}},
                "Membership": {"type": "object", "required": ["unit", "bloc", "role"], "properties": {
                    "unit": {"type": "string"}, "bloc": {"type": "string"},
                    "role": {"type": "string", "enum": ["leader", "deputy", "member"]}}},
                "NewUser": {"type": "object", "required": ["username", "password", "role"], "properties": {
                    "username": {"type": "string"}, "password": {"type": "string", "minLength": 8},
                    "role": {"type": "string", "enum": ["admin", "officer", "viewer"]},
                    "unit": {"type": ["string", "null"]}, "full_name": {"type": "string"}}},
                "Document": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "type": {"type": "string"}, "number": {"type": ["string", "null"]},
                    "issue_date": {"type": ["string", "null"], "format": "date"}, "year": {"type": ["integer", "null"]},
                    "issuer": {"type": ["string", "null"]}, "signer": {"type": ["string", "null"]},
                    "signer_title": {"type": ["string", "null"]}, "title": {"type": ["string", "null"]},
                    "bloc": {"type": ["string", "null"]}, "unit": {"type": ["string", "null"]},
                    "page_count": {"type": ["integer", "null"]}, "text_source": {"type": ["string", "null"]},
                    "signature": {"type": ["object", "null"]}, "sha256": {"type": "string"}, "size": {"type": "integer"},
                    "original_name": {"type": "string"},
                    "citations": {"type": "array", "items": {"type": "object", "properties": {
                        "number": {"type": "string"}, "document": {"type": ["integer", "null"]}}}},
                    "cited_by": {"type": "array", "items": {"type": "object"}},
                    "uploaded_by": {"type": ["string", "null"]}, "uploaded_at": {"type": ["string", "null"], "format": "date-time"},
                    "version": {"type": "integer"}, "deleted": {"type": "boolean"}}},
                "SearchResult": {"type": "object", "properties": {
                    "items": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "title": {"type": ["string", "null"]}, "number": {"type": ["string", "null"]},
                        "year": {"type": ["integer", "null"]}, "type": {"type": ["string", "null"]},
                        "snippet": {"type": ["string", "null"], "description": "HTML, từ khớp trong <mark>"}}}},
                    "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"},
                    "facets": {"type": "object", "properties": {"year": {"type": "object"}, "type": {"type": "object"}}}}},
                "Me": {"type": "object", "properties": {
                    "username": {"type": "string"}, "full_name": {"type": "string"}, "role": {"type": "string"},
                    "unit": {"type": ["string", "null"]},
                    "memberships": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                        "bloc": {"type": "string"}, "role": {"type": "string"}}}}}},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/openapi.json": {"get": {"summary": "Mô tả OpenAPI của API này (không cần đăng nhập)", "security": [],
                                      "responses": {"200": {"description": "OK", "content": {"application/json": {
                                          "schema": {"type": "object"}}}}}}},
            "/me": {"get": {"summary": "Tài khoản đang gọi và khối, vai trò của đơn vị theo năm",
                            "responses": _responses({"$ref": "#/components/schemas/Me"})}},
            "/units": {
                "get": {"summary": "Danh sách đơn vị (thứ tự tiếng Việt)", "parameters": [PAGE],
                        "responses": _responses(_list_of("Unit"))},
                "post": {"summary": "Thêm đơn vị (Ban TĐKT)",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unit"}}}},
                         "responses": _responses({"$ref": "#/components/schemas/Unit"}, "201", 415, 422)}},
            "/units/{code}": {"get": {"summary": "Một đơn vị", "parameters": [CODE],
                                      "responses": _responses({"$ref": "#/components/schemas/Unit"}, "200", 404)}},
            "/blocs": {
                "get": {"summary": "Danh sách khối thi đua", "parameters": [PAGE], "responses": _responses(_list_of("Bloc"))},
                "post": {"summary": "Thêm khối (Ban TĐKT)",
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bloc"}}}},
                         "responses": _responses({"$ref": "#/components/schemas/Bloc"}, "201", 415, 422)}},
            "/blocs/{code}": {"get": {"summary": "Một khối", "parameters": [CODE],
                                      "responses": _responses({"$ref": "#/components/schemas/Bloc"}, "200", 404)}},
            "/years/{year}/memberships": {
                "get": {"summary": "Thành viên các khối trong năm", "parameters": [YEAR],
                        "responses": _responses(_list_of("Membership"), "200", 422)},
                "put": {"summary": "Thay toàn bộ danh sách thành viên của năm (một giao dịch; Ban TĐKT)", "parameters": [YEAR],
                        "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                            {"type": "array", "items": {"$ref": "#/components/schemas/Membership"}},
                            {"type": "object", "required": ["items"], "properties": {
                                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Membership"}}}}]}}}},
                        "responses": _responses(_list_of("Membership"), "200", 415, 422)}},
            "/documents": {
                "get": {"summary": "Danh sách văn bản (lọc theo năm, loại, khối, đơn vị)",
                        "parameters": [*_query("year", "type", "bloc", "unit", "issuer", "sort"), PAGE],
                        "responses": _responses(_list_of("Document"), "200", 422)},
                "post": {"summary": "Tải lên một văn bản PDF (multipart `file`, kèm thông tin nếu có)",
                         "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                             "type": "object", "required": ["file"], "properties": {
                                 "file": {"type": "string", "format": "binary"},
                                 **{k: {"type": "string"} for k in ("type", "number", "issue_date", "year", "bloc", "unit", "title")}}}}}},
                         "responses": _responses(DOCUMENT, "201", 409, 413, 415, 422)}},
            "/documents/{document_id}": {
                "get": {"summary": "Một văn bản, kèm văn bản được dẫn chiếu và văn bản dẫn chiếu đến nó", "parameters": [DOCUMENT_ID],
                        "responses": _responses(DOCUMENT, "200", 404)},
                "patch": {"summary": "Sửa thông tin văn bản (kèm `version`; 409 nếu đã có người sửa trước)", "parameters": [DOCUMENT_ID],
                          "requestBody": {"required": True, "content": {"application/json": {"schema": {
                              "type": "object", "required": ["version"], "properties": {"version": {"type": "integer"}}}}}},
                          "responses": _responses(DOCUMENT, "200", 404, 409, 415, 422)},
                "delete": {"summary": "Chuyển văn bản vào thùng rác", "parameters": [DOCUMENT_ID],
                           "responses": _responses(DOCUMENT, "200", 404)}},
            "/documents/{document_id}/restore": {"post": {"summary": "Khôi phục văn bản từ thùng rác", "parameters": [DOCUMENT_ID],
                                                          "responses": _responses(DOCUMENT, "200", 404)}},
            "/documents/{document_id}/file": {"get": {"summary": "Tệp gốc, nguyên vẹn từng byte", "parameters": [DOCUMENT_ID],
                                                      "responses": {"200": {"description": "Tệp PDF gốc", "content": {
                                                          "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                                                          **{k: v for k, v in _responses({}, "200", 404).items() if k != "200"}}}},
            "/search": {"get": {"summary": "Tìm kiếm văn bản qua các năm (không dấu cũng tìm được)",
                                "parameters": [*_query("q", "year_from", "year_to", "type", "bloc", "unit", "sort", "mode"), PAGE],
                                "responses": _responses({"$ref": "#/components/schemas/SearchResult"}, "200", 422)}},
            "/users": {"post": {"summary": "Tạo tài khoản (Ban TĐKT)",
                                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewUser"}}}},
                                "responses": _responses({"type": "object"}, "201", 415, 422)}},
            # --- schedule and progress (portal/api/schedule.py) ---
            "/years/{year}/milestones": {
                "get": {"summary": "Lịch công việc của năm: các mốc theo thứ tự", "parameters": [YEAR],
                        "responses": _responses({"type": "object", "properties": {
                            "year": {"type": "integer"}, "items": {"type": "array", "items": {"type": "object", "properties": {
                                "seq": {"type": "integer"}, "title": {"type": "string"},
                                "starts_on": {"type": ["string", "null"], "format": "date"}, "due_on": {"type": "string", "format": "date"},
                                "scope": {"type": "string", "enum": ["bloc", "unit", "board", "council"]},
                                "responsible": {"type": "string", "enum": ["leader", "member", "board", "council"]},
                                "evidence_type": {"type": ["string", "null"], "description": "mã loại văn bản; BC-SK / BC-TK: báo cáo sơ kết / tổng kết"}}}},
                            "total": {"type": "integer"}, "page": {"type": "integer"}, "pages": {"type": "integer"}}}, "200", 422)},
                "put": {"summary": "Thay toàn bộ lịch của năm (một giao dịch; Ban TĐKT). Ngày dạng YYYY-MM-DD hoặc dd/mm/yyyy; "
                                   "mốc giữ nguyên tên (hoặc gửi kèm `id`) giữ các lần đánh dấu hoàn thành",
                        "parameters": [YEAR],
                        "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                            {"type": "array", "items": {"type": "object", "required": ["title", "due_on"]}},
                            {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": {"type": "object"}}}}]}}}},
                        "responses": _responses({"type": "object"}, "200", 409, 415, 422)}},
            "/years/{year}/milestones/propose": {"post": {
                "summary": "Đề xuất lịch của năm đọc từ văn bản kế hoạch (KH) đã lưu trữ; không lưu (Ban TĐKT)", "parameters": [YEAR],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["document"], "properties": {"document": {"type": "integer"}}}}}},
                "responses": _responses({"type": "object", "properties": {
                    "document": {"type": "object"}, "items": {"type": "array", "items": {"type": "object", "properties": {
                        "seq": {"type": "integer"}, "title": {"type": "string"}, "starts_on": {"type": ["string", "null"]},
                        "due_on": {"type": "string"}, "scope": {"type": "string"}, "responsible": {"type": "string"},
                        "evidence_type": {"type": ["string", "null"]}, "source_text": {"type": "string"},
                        "source_start": {"type": "integer"}, "source_end": {"type": "integer"},
                        "confidence": {"type": "string", "enum": ["high", "low"]}, "notes": {"type": "array", "items": {"type": "string"}}}}}}},
                    "200", 404, 415, 422)}},
            "/years/{year}/milestones/copy": {"post": {
                "summary": "Sao chép lịch của năm khác, mọi ngày dời theo số năm (29/02 thành 28/02); 409 nếu năm đã có lịch, trừ khi `replace` (Ban TĐKT)",
                "parameters": [YEAR],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["from_year"], "properties": {
                        "from_year": {"type": "integer"}, "replace": {"type": "boolean", "default": False}}}}}},
                "responses": _responses({"type": "object"}, "201", 409, 415, 422)}},
            "/years/{year}/progress": {"get": {
                "summary": "Tiến độ từng khối theo từng mốc: trạng thái, hạn, ngày hoàn thành, minh chứng (số đơn vị với mốc theo đơn vị)",
                "parameters": [YEAR],
                "responses": _responses({"type": "object", "properties": {
                    "year": {"type": "integer"}, "today": {"type": "string", "format": "date"},
                    "blocs": {"type": "array", "items": {"type": "object", "properties": {
                        "bloc": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
                        "milestones": {"type": "array", "items": {"type": "object", "properties": {
                            "seq": {"type": "integer"},
                            "status": {"type": "string", "enum": ["not_open", "open", "due_soon", "overdue", "done_on_time", "done_late"]},
                            "due_on": {"type": "string", "format": "date"}, "done_on": {"type": ["string", "null"], "format": "date"},
                            "evidence": {"type": ["object", "null"], "description": "{kind: document, document, number, title, date} "
                                                                                     "hoặc {kind: manual, note, checked_by, checked_at, done_on}"},
                            "units": {"type": "object", "properties": {"done": {"type": "integer"}, "late": {"type": "integer"},
                                                                       "total": {"type": "integer"}}}}}}}}}}},
                    "200", 422)}},
            **scoring_paths(),
        },
    }


def scoring_paths() -> dict:
    """The scoring routes (criteria, scores, results); points are decimal strings."""
    bloc = {"name": "bloc", "in": "path", "required": True, "schema": {"type": "string"}}
    points = {"type": ["string", "null"], "pattern": "^[0-9]*[.,]?[0-9]{0,2}$", "examples": ["8.5"]}
    criterion = {"type": "object", "required": ["title", "max_points"], "properties": {
        "id": {"type": "integer"}, "group": {"type": "string", "examples": ["I. Thực hiện nhiệm vụ chính trị"]},
        "title": {"type": "string"}, "max_points": {"type": "string", "examples": ["10"]},
        "kind": {"type": "string", "enum": ["scored", "bonus", "deduction"]}, "guidance": {"type": "string"}}}
    table = {"type": "object", "properties": {
        "bloc": {"type": "string"}, "year": {"type": "integer"}, "locked": {"type": "boolean"},
        "status": {"type": "string", "enum": ["draft", "submitted", "appraised", "final"]}, "version": {"type": "integer"},
        "criteria": {"type": "array", "items": criterion}, "max_total": {"type": "string"}}}
    score = {"type": "object", "properties": {
        "criterion": {"type": "integer"}, "stage": {"type": "string", "enum": ["self", "bloc", "appraisal"]},
        "points": points, "version": {"type": "integer", "description": "0 khi chưa từng chấm"}, "note": {"type": "string"}}}
    totals = {"type": "object", "properties": {s: points for s in ("self", "bloc", "appraisal")}}
    results = {"type": "object", "properties": {
        "status": {"type": "string", "enum": ["draft", "submitted", "appraised", "final"]},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "unit": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
            "totals": totals, "total": points, "rank": {"type": ["integer", "null"]}, "tie": {"type": "boolean"},
            "classification": {"type": ["string", "null"], "enum": ["xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh", None]},
            "flag": {"type": ["string", "null"], "enum": ["co_ubnd_tinh", "co_chinh_phu", None]}}}}}}

    def move(summary, body=None):
        op = {"summary": summary, "parameters": [YEAR, bloc], "responses": _responses(results, "200", 404, 409, 422)}
        if body:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        return {"post": op}

    return {
        "/years/{year}/blocs/{bloc}/criteria": {
            "get": {"summary": "Bảng tiêu chí của khối trong năm (kèm id và locked)", "parameters": [YEAR, bloc],
                    "responses": _responses(table, "200", 404)},
            "put": {"summary": "Thay cả bảng tiêu chí theo thứ tự (Trưởng khối, Ban TĐKT); 409 khi đã khóa", "parameters": [YEAR, bloc],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["criteria"],
                                    "properties": {"criteria": {"type": "array", "items": criterion}, "version": {"type": "integer"}}}}}},
                    "responses": _responses(table, "200", 404, 409, 415, 422)}},
        "/years/{year}/blocs/{bloc}/scores": {"get": {
            "summary": "Điểm của các phiếu chấm mà người gọi được xem: mọi tiêu chí × giai đoạn", "parameters": [YEAR, bloc],
            "responses": _responses({"type": "object", "properties": {
                "criteria": {"type": "array", "items": criterion},
                "scorecards": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "unit": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
                    "scores": {"type": "array", "items": score}}}}}}, "200", 404)}},
        "/scores/{scorecard}/{criterion}/{stage}": {"put": {
            "summary": "Lưu một ô điểm dựa trên version đã đọc; 409 kèm giá trị hiện tại nếu đã cũ, 422 nếu điểm sai",
            "parameters": [{"name": "scorecard", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "criterion", "in": "path", "required": True, "schema": {"type": "integer"}},
                           {"name": "stage", "in": "path", "required": True, "schema": {"type": "string", "enum": ["self", "bloc", "appraisal"]}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object", "required": ["points", "version"],
                            "properties": {"points": points, "version": {"type": "integer"}, "note": {"type": "string"}}}}}},
            "responses": _responses(score, "200", 404, 409, 415, 422)}},
        "/years/{year}/blocs/{bloc}/results": {"get": {
            "summary": "Kết quả: tổng điểm từng giai đoạn, xếp thứ (đồng hạng), xếp loại, đề nghị cờ", "parameters": [YEAR, bloc],
            "responses": _responses(results, "200", 404)}},
        "/years/{year}/blocs/{bloc}/results/submit": move("Gửi kết quả (Trưởng khối): draft → submitted"),
        "/years/{year}/blocs/{bloc}/results/appraise": move("Xác nhận thẩm định (Ban TĐKT): submitted → appraised"),
        "/years/{year}/blocs/{bloc}/results/finalize": move("Công nhận kết quả (Ban TĐKT thay Hội đồng): appraised → final"),
        "/years/{year}/blocs/{bloc}/results/reopen": move("Mở lại một bước (Ban TĐKT), bắt buộc lý do", {
            "type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}),
    }
