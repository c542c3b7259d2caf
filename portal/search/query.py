"""The query language shared by both engines, parsed into a small tree the engines translate.

Syntax (what users type in the search box):

- words are ANDed: `thi đua khen thưởng` needs all four words (accents optional: `thi dua`);
- `"quoted words"` is a phrase (consecutive words, punctuation between them ignored);
- `OR` (upper case) or `|` splits the query into alternatives, each an AND of its words:
  `chỉ thị OR kế hoạch` is (chỉ AND thị) OR (kế AND hoạch);
- `NOT word`, `-word`, `-"a phrase"` exclude;
- `word*` is a prefix (and in active search the last word always is);
- a document number is searched exactly on the number field: `19/CT-UBND`; a partial number is a
  prefix (`19/CT` finds `19/CT-UBND`, `19/CT-TU`); `19 CT UBND` is the same as `19/CT-UBND`;
  folding applies (`98/2023/nd-cp` = `98/2023/NĐ-CP`); a number typed without its year also
  finds it with one (`98/NĐ-CP` finds `98/2023/NĐ-CP`);
- a word typed with accents also asks for the exact accented form, which ranks those documents
  above documents that only match once folded (`Đảng` before `Dang`).

A word that splits into several tokens (`thi-đua`, `v/v`) is a phrase of those tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from portal.search.analysis import MAX_TOKEN_LEN, TOKEN_RE, number_key, tokens_with_forms
from portal.text import fold, fold_keep_length, nfc

__all__ = [
    "LONG_PHRASE",
    "AllOf",
    "AnyOf",
    "Number",
    "ParsedQuery",
    "Phrase",
    "TextCheck",
    "Word",
    "clause_regex",
    "compile_clauses",
    "needs_confirmation",
    "parse_query",
    "prefix_expansion_limit",
]

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 32

# Folded type codes (ký hiệu loại văn bản) and issuer codes that follow a number in "19 CT UBND".
TYPE_CODES = frozenset(
    "ct kh gu tc bc bb qd tb ttr cv nq nd hd tt kl qc qyd ctr pa da ba cd bgn btt guq gm gnp pc pb gtt".split()
)
ISSUER_CODES = frozenset(
    "ubnd hdnd tu tw cp ttg bnv snv bct btdkt hdtdkt tdkt vp vpub vpcp mttq ub bch dtn ld ldld ttcp"
    " bca bqp btc byt bgddt sgddt syt stc skhdt vx kt nc th qh ubtvqh bcd btv dcs tdld hnd ctn"
    " dct bcs".split()
)

_OPEN_CLOSE_PUNCT = "()[]{}<>,.;:!?'\u201c\u201d\u2018\u2019\u00ab\u00bb"
_COMPACT_NUMBER_RE = re.compile(r"\d{1,6}(?:[/\-.][^\W_]+)+")
_DIGITS_RE = re.compile(r"\d{1,6}")
_YEAR_RE = re.compile(r"(?:19|20)\d\d")
_SCAN_RE = re.compile(r'\s+|(?P<neg>-)?"(?P<phrase>[^"]*)(?:"|$)|(?P<word>[^\s"]+)')
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})


@dataclass(frozen=True, slots=True)
class Word:
    """One folded term; `accented` is the lower-case form as typed when it carries marks."""

    term: str
    accented: str | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Consecutive words (at least two)."""

    words: tuple[Word, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(w.term for w in self.words)


@dataclass(frozen=True, slots=True)
class Number:
    """A document number: matches number keys that fully match `pattern`.

    Every matching key starts with `first` + "-" (the leading digits), so an engine can list the
    candidate keys by that prefix and keep those that match.
    """

    raw: str
    key: str
    pattern: str
    first: str

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self.key.split("-"))

    def matches(self, candidate_key: str) -> bool:
        return re.fullmatch(self.pattern, candidate_key) is not None


Clause = Word | Phrase | Number


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every one of the clauses (one side of an OR: `nghị định OR giao ước`)."""

    clauses: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one of the options."""

    options: tuple[Clause | AllOf, ...]


@dataclass(slots=True)
class ParsedQuery:
    """Required items (clauses or one OR group) and excluded clauses."""

    must: list[Clause | AnyOf] = field(default_factory=list)
    must_not: list[Clause] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.must and not self.must_not

    def positive(self) -> list[Clause]:
        """Every clause that can match (for highlighting), OR options flattened."""
        out: list[Clause] = []
        for item in self.must:
            if isinstance(item, AnyOf):
                for option in item.options:
                    out.extend(option.clauses if isinstance(option, AllOf) else (option,))
            else:
                out.append(item)
        return out


def _number_from_key(raw: str, key: str) -> Number | None:
    groups = key.split("-")
    if len(groups) < 2 or not groups[0].isdigit() or all(g.isdigit() for g in groups[1:]):
        return None
    esc = [re.escape(g) for g in groups]
    if len(groups) >= 2 and not _YEAR_RE.fullmatch(groups[1]):
        # "98/NĐ-CP" also finds "98/2023/NĐ-CP": the year group is optional when not typed.
        pattern = esc[0] + r"(?:-\d{4})?-" + "-".join(esc[1:]) + r"(?:-.*)?"
    else:
        pattern = "-".join(esc) + r"(?:-.*)?"
    return Number(raw=raw, key=key, pattern=pattern, first=groups[0])


def _is_code(typed: str) -> bool:
    """A letter group of a number: typed in capitals (`UBND`, `NĐ`) or a known code (`ubnd`)."""
    f = fold(typed)
    return typed.isupper() or f in TYPE_CODES or f in ISSUER_CODES


def _compact_number(word: str) -> Number | None:
    if not _COMPACT_NUMBER_RE.fullmatch(word):
        return None
    groups = TOKEN_RE.findall(word)
    first_code = next((g for g in groups[1:] if not g.isdigit()), None)
    if first_code is None or not _is_code(first_code):
        return None  # "6-tháng" is a word, "19/CT" and "19/ct-ubnd" are numbers
    return _number_from_key(word, number_key(word))


def _spaced_number(words: list[str], i: int) -> tuple[Number, int] | None:
    """Recognise `19 CT UBND` / `98 2023 NĐ CP` starting at words[i]; return it and the next index."""
    if not _DIGITS_RE.fullmatch(words[i]):
        return None
    j = i + 1
    groups = [words[i]]
    if j < len(words) and re.fullmatch(r"\d{4}", words[j]):
        groups.append(words[j])
        j += 1
    codes: list[str] = []
    while j < len(words) and len(codes) < 4:
        w = words[j]
        f = fold(w)
        if not f.isalpha() or len(f) > 8:
            break
        if not codes:
            if f not in TYPE_CODES and f not in ISSUER_CODES:
                break
        elif f not in ISSUER_CODES and f not in TYPE_CODES and not w.isupper():
            break
        codes.append(w)
        j += 1
    if not codes:
        return None
    typed_upper = all(c[0].isupper() for c in codes)
    if len(codes) == 1 and not typed_upper:
        return None  # "19 ct" is two words; "19 CT" is a number
    if _YEAR_RE.fullmatch(words[i]) and len(groups) == 1 and not typed_upper:
        return None  # "2023 kh ubnd" reads as words, not number 2023/KH-UBND
    raw = " ".join(words[i:j])
    number = _number_from_key(raw, number_key(raw))
    return (number, j) if number else None


def _word_clause(text: str, prefix: bool = False) -> Clause | None:
    forms = [f for f in tokens_with_forms(text) if len(f[0]) <= MAX_TOKEN_LEN]
    if not forms:
        return None
    words = tuple(Word(t, low if low != t else None) for t, low, _s, _e in forms)
    if len(words) == 1:
        w = words[0]
        return Word(w.term, w.accented, prefix=prefix)
    if prefix:
        last = words[-1]
        words = words[:-1] + (Word(last.term, last.accented, prefix=True),)
    return Phrase(words)


def _phrase_clause(text: str) -> Clause | None:
    forms = tokens_with_forms(text)
    words = tuple(Word(t, low if low != t else None) for t, low, _s, _e in forms if len(t) <= MAX_TOKEN_LEN)
    if not words:
        return None
    if len(words) == 1:
        return words[0]
    return Phrase(words)


def parse_query(q: str | None, *, prefix_last: bool = False) -> ParsedQuery:
    """Parse the search box text; `prefix_last` makes the last typed word a prefix (active search)."""
    text = nfc(q or "")[:MAX_QUERY_CHARS].translate(_QUOTES)
    ends_open = bool(text) and not text[-1].isspace() and not text.rstrip().endswith('"')

    # 1. Scan into raw items: ("phrase", neg, text) or ("word", text).
    raw: list[tuple[str, bool, str]] = []
    for m in _SCAN_RE.finditer(text):
        if m.group("phrase") is not None:
            raw.append(("phrase", bool(m.group("neg")), m.group("phrase")))
        elif m.group("word") is not None:
            raw.append(("word", False, m.group("word")))

    # 2. Turn them into (op, neg, clause) items, recognising operators and numbers.
    items: list[tuple[str, bool, Clause | None]] = []
    words_only = [r[2].strip(_OPEN_CLOSE_PUNCT) if r[0] == "word" else "" for r in raw]
    i = 0
    while i < len(raw):
        kind, neg, value = raw[i]
        if kind == "phrase":
            items.append(("clause", neg, _phrase_clause(value)))
            i += 1
            continue
        if value in ("OR", "|", "||"):
            items.append(("or", False, None))
            i += 1
            continue
        if value in ("AND", "&&", "+"):
            i += 1
            continue
        if value == "NOT":
            items.append(("not", False, None))
            i += 1
            continue
        if value.startswith("-") and len(value) > 1:
            neg, value = True, value[1:]
        elif value.startswith("+") and len(value) > 1:
            value = value[1:]
        stripped = value.strip(_OPEN_CLOSE_PUNCT)
        number = _compact_number(stripped)
        if number is not None:
            items.append(("clause", neg, number))
            i += 1
            continue
        spaced = _spaced_number(words_only, i)
        if spaced is not None and all(r[0] == "word" for r in raw[i : spaced[1]]):
            items.append(("clause", neg, spaced[0]))
            i = spaced[1]
            continue
        star = stripped.endswith("*") or value.endswith("*")
        is_last = i == len(raw) - 1
        prefix = star or (prefix_last and is_last and ends_open and not neg)
        items.append(("clause", neg, _word_clause(value.rstrip("*"), prefix=prefix)))
        i += 1

    # 3. Combine. NOT applies to the next clause. OR binds more loosely than the implicit AND,
    # so Vietnamese two-syllable words work: `nghị định OR giao ước` is
    # (nghị AND định) OR (giao AND ước). Exclusions apply to the whole query.
    parsed = ParsedQuery()
    groups: list[list[Clause]] = [[]]
    pending_not = False
    for op, neg, clause in items:
        if op == "not":
            pending_not = True
            continue
        if op == "or":
            if groups[-1]:
                groups.append([])
            continue
        if clause is None:
            pending_not = False
            continue
        if neg or pending_not:
            parsed.must_not.append(clause)
            pending_not = False
            continue
        groups[-1].append(clause)
    groups = [g[:MAX_CLAUSES] for g in groups if g]
    if len(groups) == 1:
        parsed.must = list(groups[0])
    elif groups:
        options = tuple(g[0] if len(g) == 1 else AllOf(tuple(g)) for g in groups[:MAX_CLAUSES])
        parsed.must = [AnyOf(options)]
    parsed.must_not = parsed.must_not[:MAX_CLAUSES]
    return parsed


def _fold_classes() -> dict[str, str]:
    """Map each folded character to a regex class of every character that folds to it.

    Built from `portal.text.fold_keep_length` over Latin (where every Vietnamese letter lives),
    so matching `[dDđĐ…][uUưứ…][aAăâ…]` on the original text finds what the folded text would.
    """
    groups: dict[str, set[str]] = {}
    for lo, hi in ((0x20, 0x250), (0x1E00, 0x1F00)):
        for code in range(lo, hi):
            ch = chr(code)
            folded = fold_keep_length(ch)
            if len(folded) == 1 and folded.isalnum():
                groups.setdefault(folded, {folded}).add(ch)
    return {
        k: "[" + "".join(re.escape(c) for c in sorted(v)) + "]" if len(v) > 1 else re.escape(k)
        for k, v in groups.items()
    }


_CLASSES = _fold_classes()
# Token edges. The leading one is checked after the first character (a fixed-width look-behind
# over that character and the one before it), which lets `re` skip ahead on the first character.
_LEAD = r"(?<![^\W_].)"
_TRAIL = r"(?![^\W_])"
_SEP = r"[\W_]+"


def _token_regex(token: str, lead: bool = False, prefix: bool = False) -> str:
    chars = [_CLASSES.get(c) or re.escape(c) for c in token]
    out = chars[0] + (_LEAD if lead else "") + "".join(chars[1:])
    return out + (r"[^\W_]*" if prefix else "")


def clause_regex(clause: Clause) -> str:
    """Return a regex that finds `clause` in the original (NFC) text, accents ignored.

    Tokens are separated by any run of non-letters, as the tokenizer sees them, so this regex is
    also how the Whoosh engine confirms a phrase on the hits it shows.
    """
    if isinstance(clause, Word):
        return _token_regex(clause.term, lead=True, prefix=clause.prefix) + ("" if clause.prefix else _TRAIL)
    if isinstance(clause, Phrase):
        parts = [_token_regex(w.term, lead=(i == 0), prefix=w.prefix) for i, w in enumerate(clause.words)]
        return _SEP.join(parts) + ("" if clause.words[-1].prefix else _TRAIL)
    toks = clause.tokens
    head = _token_regex(toks[0], lead=True)
    rest = [_token_regex(t) for t in toks[1:]]
    if len(toks) >= 2 and not _YEAR_RE.fullmatch(toks[1]):
        return head + r"(?:" + _SEP + r"\d{4})?" + _SEP + _SEP.join(rest) + _TRAIL
    return _SEP.join([head, *rest]) + _TRAIL


def compile_clauses(clauses: list[Clause]) -> re.Pattern[str] | None:
    """Compile the clauses into one alternation (longest first) for the original text."""
    alts = sorted({clause_regex(c) for c in clauses}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile("|".join(alts))


def prefix_expansion_limit(prefix: str) -> int:
    """How many indexed words (the most frequent) a prefix may stand for, in both engines.

    Short prefixes match hundreds of words in active search ("k" while typing "thong bao k");
    the most frequent ones are what the user is most likely typing, and reading every posting
    list would make each keystroke slow.
    """
    return 32 if len(prefix) <= 1 else 128 if len(prefix) == 2 else 256


# -- phrase confirmation ---------------------------------------------------------------------------

# Phrases of this many words or more are answered from the bi-word field by AND-ing their word
# pairs, which can match pairs found in different places: such candidates must be confirmed.
LONG_PHRASE = 3


def _is_long_phrase(clause: object) -> bool:
    return isinstance(clause, Phrase) and len(clause.words) >= LONG_PHRASE and not clause.words[-1].prefix


def needs_confirmation(parsed: ParsedQuery) -> bool:
    """Whether the query has a long phrase (required, in an OR, or excluded)."""
    items: list[object] = list(parsed.must_not)
    for item in parsed.must:
        if isinstance(item, AnyOf):
            for option in item.options:
                items.extend(option.clauses if isinstance(option, AllOf) else (option,))
        else:
            items.append(item)
    return any(_is_long_phrase(c) for c in items)


class TextCheck:
    """Decide from a document's stored text whether it really matches the query.

    Used on candidates of bi-word phrase queries: words and phrases are looked for with the same
    accent-insensitive, token-bounded regexes the highlighter uses (so they agree with the index's
    tokens), numbers against the document's own number. Exclusions other than long phrases were
    applied exactly by the index and are not checked again.
    """

    FIELDS = ("title", "number", "issuer", "summary", "text")

    def __init__(self, parsed: ParsedQuery) -> None:
        self.parsed = parsed
        self._patterns: dict[Clause, re.Pattern[str]] = {}

    def _found(self, clause: Clause, values: dict[str, str]) -> bool:
        if isinstance(clause, Number):
            return clause.matches(number_key(values.get("number") or ""))
        pattern = self._patterns.get(clause)
        if pattern is None:
            pattern = self._patterns[clause] = re.compile(clause_regex(clause))
        return any(pattern.search(values.get(f) or "") for f in self.FIELDS)

    def _item(self, item: Clause | AllOf | AnyOf, values: dict[str, str]) -> bool:
        if isinstance(item, AnyOf):
            return any(self._item(option, values) for option in item.options)
        if isinstance(item, AllOf):
            return all(self._found(c, values) for c in item.clauses)
        return self._found(item, values)

    def __call__(self, values: dict[str, str]) -> bool:
        if not all(self._item(item, values) for item in self.parsed.must):
            return False
        return not any(self._found(c, values) for c in self.parsed.must_not if _is_long_phrase(c))
