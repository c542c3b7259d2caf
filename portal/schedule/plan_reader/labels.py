"""Labels that name a part of a step ("Thời gian: …", "Đơn vị thực hiện: …") or a table column."""

from __future__ import annotations

import re

LABEL_RE = re.compile(
    r"\s*(?:(?P<time>thoi\s*gian(?:\s*(?:thuc\s*hien|hoan\s*thanh))?|thoi\s*han(?:\s*hoan\s*thanh)?"
    r"|han\s*chot|tien\s*do(?:\s*thuc\s*hien)?|moc\s*thoi\s*gian)"
    r"|(?P<actor>(?:don\s*vi|co\s*quan)\s*(?:thuc\s*hien|chu\s*tri|chiu\s*trach\s*nhiem)"
    r"|chu\s*tri(?:\s*thuc\s*hien)?|trach\s*nhiem(?:\s*thuc\s*hien)?|nguoi\s*thuc\s*hien"
    r"|thuc\s*hien)"
    r"|(?P<helper>phoi\s*hop(?:\s*thuc\s*hien)?)"
    r"|(?P<product>san\s*pham(?:\s*dau\s*ra)?|ket\s*qua(?:\s*dau\s*ra)?|minh\s*chung)"
    r"|(?P<content>noi\s*dung(?:\s*cong\s*viec)?|cong\s*viec|nhiem\s*vu)"
    r"|(?P<other>hinh\s*thuc|dia\s*diem|ghi\s*chu))\s*:"
)

# A table header cell names its column by these words (first match wins).
HEADER_WORDS = (
    ("no", re.compile(r"^\s*(?:stt|tt|so\s*tt)\s*$")),
    ("content", re.compile(r"noi\s*dung|cong\s*viec|nhiem\s*vu|hoat\s*dong")),
    ("time", re.compile(r"thoi\s*gian|thoi\s*han|tien\s*do|moc")),
    ("helper", re.compile(r"phoi\s*hop")),
    ("actor", re.compile(r"don\s*vi|chu\s*tri|thuc\s*hien|trach\s*nhiem|co\s*quan")),
    ("product", re.compile(r"san\s*pham|ket\s*qua|minh\s*chung")),
    ("other", re.compile(r"ghi\s*chu")),
)
