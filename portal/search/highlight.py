"""Highlighted titles and snippets, the same for both engines.

Everything that comes from a document is HTML-escaped; only the `<mark>` tags around hits are
markup. The query's words become accent-insensitive regexes over the original NFC text (each
letter a class of everything that folds to it, see `query.clause_regex`), so `co thi dua` marks
`Cờ thi đua` with the accents kept.
"""

from __future__ import annotations

import re
from html import escape

from portal.search.query import ParsedQuery, compile_clauses
from portal.text import nfc

__all__ = ["Highlighter", "SNIPPET_CHARS"]

SNIPPET_CHARS = 200
_CONTEXT_BEFORE = 50
_MAX_MATCHES = 200
_WS_RE = re.compile(r"\s+")
_ELLIPSIS = "\u2026"


def _esc(s: str) -> str:
    return escape(_WS_RE.sub(" ", s), quote=True)


class Highlighter:
    """Marks the query's positive clauses (words, phrases, prefixes, numbers) in document text."""

    def __init__(self, parsed: ParsedQuery, snippet_chars: int = SNIPPET_CHARS) -> None:
        self.pattern = compile_clauses(parsed.positive())
        self.snippet_chars = snippet_chars

    def matches(self, text: str) -> list[tuple[int, int]]:
        """Return the (start, end) offsets of each hit in `text` (NFC), at most _MAX_MATCHES."""
        if self.pattern is None or not text:
            return []
        out = []
        for m in self.pattern.finditer(text):
            out.append((m.start(), m.end()))
            if len(out) >= _MAX_MATCHES:
                break
        return out

    @staticmethod
    def merged(text: str, matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Join hits separated only by spaces: "<mark>Cờ thi đua</mark>", not three marks."""
        out: list[tuple[int, int]] = []
        for start, end in matches:
            if out and (out[-1][1] == start or text[out[-1][1] : start].isspace()):
                out[-1] = (out[-1][0], end)
            else:
                out.append((start, end))
        return out

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return the hits of `text` to mark, neighbours merged."""
        return self.merged(text, self.matches(text))

    def title(self, title: str) -> str:
        """Return the whole title, escaped, with every hit in <mark>."""
        title = nfc(title)
        return self._render(title, self.spans(title), 0, len(title))

    def snippet(self, *texts: str | None) -> str:
        """Return ~200 characters around the best hit of the first text that has one.

        Without any hit, the start of the first non-empty text.
        """
        candidates = [nfc(t) for t in texts if t]
        for text in candidates:
            matches = self.matches(text)
            if matches:
                start, end = self._window(text, matches)
                return self._render(text, self.merged(text, matches), start, end)
        if not candidates:
            return ""
        text = candidates[0]
        end = self._cut_end(text, min(len(text), self.snippet_chars))
        return self._render(text, [], 0, end)

    def _window(self, text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
        """Pick the window of `snippet_chars` holding the most distinct hits (earliest on ties)."""
        keys = [text[s:e].lower() for s, e in spans]
        # Sliding window over the hits (two pointers, counts of each distinct hit): O(hits).
        counts: dict[str, int] = {}
        best, best_i = (-1, -1), 0
        n = len(spans)
        width = self.snippet_chars - _CONTEXT_BEFORE
        j = -1  # last hit inside the window that starts at hit i
        for i in range(n):
            while j + 1 < n and spans[j + 1][1] - spans[i][0] <= width:
                j += 1
                counts[keys[j]] = counts.get(keys[j], 0) + 1
            if j < i:  # a single hit longer than the window
                j = i
                counts[keys[i]] = counts.get(keys[i], 0) + 1
            score = (len(counts), j - i + 1)
            if score > best:
                best, best_i = score, i
            counts[keys[i]] -= 1
            if not counts[keys[i]]:
                del counts[keys[i]]
        first = spans[best_i][0]
        start = max(0, first - _CONTEXT_BEFORE)
        if start > 0:
            space = text.rfind(" ", 0, start)
            start = space + 1 if space >= 0 and start - space < 20 else start
        end = self._cut_end(text, min(len(text), start + self.snippet_chars))
        return start, end

    @staticmethod
    def _cut_end(text: str, end: int) -> int:
        if end >= len(text):
            return len(text)
        space = text.find(" ", end)
        return space if space >= 0 and space - end < 20 else end

    @staticmethod
    def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
        out = [_ELLIPSIS] if start > 0 else []
        pos = start
        for s, e in spans:
            if e <= start or s >= end:
                continue
            s, e = max(s, start), min(e, end)
            if s < pos:
                continue
            out.append(_esc(text[pos:s]))
            out.append("<mark>" + _esc(text[s:e]) + "</mark>")
            pos = e
        out.append(_esc(text[pos:end]))
        if end < len(text):
            out.append(_ELLIPSIS)
        return "".join(out).strip()
