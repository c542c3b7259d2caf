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
                "Me": {"type": "object", "properties": {
                    "username": {"type": "string"}, "full_name": {"type": "string"}, "role": {"type": "string"},
                    "unit": {"type": ["string", "null"]},
                    "memberships": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                        "bloc": {"type": "string"}, "role": {"type": "string"}}}}}},
            },
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
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
                        "requestBody": {"required": True, "content": {"application/json": {"schema": {
                            "type": "array", "items": {"$ref": "#/components/schemas/Membership"}}}}},
                        "responses": _responses(_list_of("Membership"), "200", 415, 422)}},
            "/users": {"post": {"summary": "Tạo tài khoản (Ban TĐKT)",
                                "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewUser"}}}},
                                "responses": _responses({"type": "object"}, "201", 415, 422)}},
        },
    }
