"""Tokenising and folding shared by both engines, and the Whoosh analyzer classes.

Whoosh pickles the schema (field types, analyzers, formats) and each segment's codec into the
index, so the classes below must stay importable at `portal.search.analysis.<Name>` with
compatible attributes;
changing what they emit needs a `SCHEMA_VERSION` bump in the engine (which makes old indexes
report `IndexCorrupt`, and the service rebuilds them).

Tokens are maximal runs of letters and digits (Unicode, no underscore) of the folded text,
`portal.text.fold_keep_length(text)`: NFC, lower case, tone and vowel marks removed, đ→d, one
character for one character, so token offsets are offsets into the accented NFC text (for
highlighting). A stray combining mark is not a letter and splits a token, exactly as in tantivy's
`simple` tokenizer, so both engines cut text at the same places and index the same terms.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.fields import TEXT
from whoosh.formats import Frequency
from whoosh.system import pack_uint

from portal.search.whoosh_build import TermPool, write_grouped
from portal.text import fold_keep_length, nfc

__all__ = [
    "BIWORD_SEP",
    "MAX_TOKEN_LEN",
    "TOKEN_RE",
    "AccentedAnalyzer",
    "BiwordAnalyzer",
    "FastFrequency",
    "FoldingAnalyzer",
    "IndexedText",
    "PortalCodec",
    "accented_terms",
    "analyse",
    "biword_terms",
    "biwords",
    "folded_terms",
    "number_key",
    "tokens_with_forms",
]

# Letters and digits of any script; "_" is a separator, as in tantivy's simple tokenizer.
TOKEN_RE = re.compile(r"[^\W_]+")
# Bi-word terms join two folded tokens with a character no token contains.
BIWORD_SEP = "_"
# Tokens longer than this are noise (base64, hashes) and never typed; both engines drop them.
MAX_TOKEN_LEN = 40


def _lower_keep_length(s: str) -> str:
    low = s.lower()
    if len(low) != len(s):  # 'İ' and a few others grow on lower(): keep offsets valid
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in s)
    return low


def analyse(text: str | None) -> tuple[list[str | None], list[str]]:
    """Tokenise `text` once: return (folded tokens, accented tokens).

    Folded tokens are in order, with None in place of a token longer than MAX_TOKEN_LEN (so
    that no bi-word spans it, as tantivy leaves a position gap there). Accented tokens are the
    lower-case NFC forms of the tokens that folding changed (`đảng`, not `dang`).
    """
    s = nfc(text)
    if not s:
        return [], []
    if s.isascii():
        return [t if len(t) <= MAX_TOKEN_LEN else None for t in TOKEN_RE.findall(s.lower())], []
    folded = fold_keep_length(s)
    low = _lower_keep_length(s)
    out: list[str | None] = []
    accented: list[str] = []
    for m in TOKEN_RE.finditer(folded):
        t = m.group()
        if len(t) > MAX_TOKEN_LEN:
            out.append(None)
            continue
        out.append(t)
        form = low[m.start() : m.end()]
        if form != t:
            accented.append(form)
    return out, accented


def folded_terms(text: str | None) -> list[str]:
    """Return the folded tokens of `text` in order (what the folded fields index)."""
    return [t for t in analyse(text)[0] if t is not None]


def accented_terms(text: str | None) -> list[str]:
    """Return the lower-case NFC tokens of `text` that carry marks (what the exact field indexes).

    Tokens without marks are left out: the exact field is only asked about accented words.
    """
    return analyse(text)[1]


def biwords(tokens: list[str | None]) -> list[str]:
    """Return the pairs of consecutive tokens, joined by `BIWORD_SEP` (None breaks a pair)."""
    return [a + BIWORD_SEP + b for a, b in zip(tokens, tokens[1:]) if a is not None and b is not None]


def biword_terms(text: str | None) -> list[str]:
    """Return the bi-word terms of `text` (pairs never span two values of a field)."""
    return biwords(analyse(text)[0])


def number_key(number: str | None) -> str:
    """Return the canonical key of a document number: folded tokens joined by "-".

    `19/CT-UBND`, `19 CT UBND` and `19-ct/ubnd` all give `19-ct-ubnd`; `98/2023/NĐ-CP` gives
    `98-2023-nd-cp`.
    """
    return "-".join(TOKEN_RE.findall(fold_keep_length(number)))


def tokens_with_forms(text: str) -> list[tuple[str, str, int, int]]:
    """Return `(folded, lower_nfc, start, end)` for each token of `nfc(text)`.

    Offsets refer to `nfc(text)`; `lower_nfc` is the token as typed (marks kept), lower case.
    """
    s = nfc(text)
    folded = fold_keep_length(s)
    low = _lower_keep_length(s)
    return [(m.group(), low[m.start() : m.end()], m.start(), m.end()) for m in TOKEN_RE.finditer(folded)]


def _spans(text: str, keep_marks: bool) -> Iterator[tuple[str, int, int]]:
    s = nfc(text)
    source = _lower_keep_length(s) if keep_marks else fold_keep_length(s)
    for m in TOKEN_RE.finditer(source):
        yield m.group(), m.start(), m.end()


class _VietTokenizer(Tokenizer):
    """Base of the Whoosh analyzers: the Whoosh tokenizer protocol plus a fast `terms()` path.

    `__call__` yields Whoosh `Token`s with positions and character offsets into `nfc(value)`.
    `terms()` returns the plain list of terms; `FastFrequency` uses it when indexing.
    """

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash(type(self))

    def terms(self, value: str) -> list[str]:
        raise NotImplementedError

    def _token_spans(self, value: str) -> Iterator[tuple[str, int, int]]:
        raise NotImplementedError

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar = start_char
                t.endchar = start_char + len(value)
            yield t
            return
        for pos, (text, start, end) in enumerate(self._token_spans(value)):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[start:end]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class FoldingAnalyzer(_VietTokenizer):
    """Folded tokens: `Quyết định` → `quyet`, `dinh` (offsets stay on the accented text)."""

    def terms(self, value: str) -> list[str]:
        return folded_terms(value)

    def _token_spans(self, value: str) -> Iterator[tuple[str, int, int]]:
        for text, start, end in _spans(value, keep_marks=False):
            if len(text) <= MAX_TOKEN_LEN:
                yield text, start, end


class AccentedAnalyzer(_VietTokenizer):
    """Lower-case NFC tokens that carry marks (`Đảng` → `đảng`; `Dang` → nothing)."""

    def terms(self, value: str) -> list[str]:
        return accented_terms(value)

    def _token_spans(self, value: str) -> Iterator[tuple[str, int, int]]:
        s = nfc(value)
        low = _lower_keep_length(s)
        for folded, start, end in _spans(s, keep_marks=False):
            form = low[start:end]
            if len(folded) <= MAX_TOKEN_LEN and form != folded:
                yield form, start, end


class BiwordAnalyzer(_VietTokenizer):
    """Pairs of consecutive folded tokens: `thi đua yêu nước` → `thi_dua dua_yeu yeu_nuoc`."""

    def terms(self, value: str) -> list[str]:
        return biword_terms(value)

    def _token_spans(self, value: str) -> Iterator[tuple[str, int, int]]:
        prev = None
        for text, start, end in _spans(value, keep_marks=False):
            if len(text) > MAX_TOKEN_LEN:
                prev = None
                continue
            if prev is not None:
                yield prev[0] + BIWORD_SEP + text, prev[1], end
            prev = (text, start, end)


class FastFrequency(Frequency):
    """Whoosh's `Frequency` format with a fast indexing path.

    A `str` value goes through the analyzer's `terms()` (one regex pass, no `Token` objects);
    a list or tuple value is taken as already-made terms (Whoosh's own convention), which lets
    the engine tokenise a document once for several fields.
    """

    def word_values(self, value, analyzer, **kwargs):
        if isinstance(value, (list, tuple)):
            terms = value
        elif hasattr(analyzer, "terms"):
            terms = analyzer.terms(value)
        else:  # pragma: no cover - only for analyzers from outside this module
            return super().word_values(value, analyzer, **kwargs)
        fb = self.field_boost
        return ((w, n, n * fb, pack_uint(n)) for w, n in Counter(terms).items())


class IndexedText(TEXT):
    """A non-positional text field (frequencies only) using `FastFrequency`.

    Phrases are answered by the bi-word field, so no field stores positions.
    """

    def __init__(self, analyzer=None, field_boost=1.0, stored=False):
        super().__init__(
            analyzer=analyzer or FoldingAnalyzer(), phrase=False, stored=stored, field_boost=field_boost
        )
        self.format = FastFrequency(field_boost=field_boost)
        # The engine ranks with its own length columns; Whoosh's per-field lengths go unused.
        self.scorable = False

    def index(self, value, **kwargs):
        """Return (term bytes, frequency, weight, encoded frequency) per distinct term.

        Same output as `TEXT.index` through `FastFrequency`, in one comprehension: indexing
        calls this for every field of every document.
        """
        if isinstance(value, (list, tuple)):
            terms = value
        elif hasattr(self.analyzer, "terms"):
            terms = self.analyzer.terms(value)
        else:  # pragma: no cover - only for analyzers from outside this module
            return super().index(value, **kwargs)
        fb = self.format.field_boost
        return [(w.encode("utf-8"), n, n * fb, pack_uint(n)) for w, n in Counter(terms).items()]


class PortalCodec(W3Codec):
    """Whoosh's default codec without per-block length statistics.

    Those statistics feed Whoosh's block-max scoring, which the engine does not use, and
    collecting them looks up a document length for every posting written (a fifth of the
    indexing time). Segments pickle their codec, so this class must stay at this path.
    """

    length_stats = False

    def field_writer(self, storage, segment):
        return _PortalFieldWriter(self, storage, segment)


class _PortalFieldWriter(W3FieldWriter):
    """Writes a rebuild's `TermPool` a block at a time; anything else the way Whoosh does."""

    def add_postings(self, schema, lengths, items):
        if isinstance(items, TermPool):
            write_grouped(self, schema, items)
        else:
            super().add_postings(schema, lengths, items)
