""""More like this": the documents most like a given one, built once on the seam for every engine.

The document's most distinctive folded words become an OR query in the ordinary query language,
so every engine (Whoosh, tantivy, any later one) answers it with its own ranking:

1. Words are weighted where they stand: the title (trích yếu) counts `W_TITLE` times, the issuer
   and summary `W_META` times, the body once. Digits alone, very short words and Vietnamese
   function words are left out.
2. The best `CANDIDATES` by that weight get their document frequency from the engine
   (`Engine.doc_frequencies`: the engine's statistics, or one cheap search per word); a word found
   in no other document cannot bring one, a word in most documents says nothing (unless the
   document has too few others: then its `MIN_WORDS` least common ones are kept).
3. The `MAX_WORDS` best by damped weight × idf form the query; the `BOOSTED` best of them are
   given twice (the engines add up an OR's parts, so a repeated word counts double).
4. Document numbers it cites are added as numbers, twice (they find the cited documents), and as
   phrases (they find the others that cite them too); its own number as a phrase finds the
   documents that cite it.

The caller drops the document itself and anything trashed since it was indexed.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable

from portal.search.analysis import folded_terms, number_key
from portal.search.engine import Engine, SearchDoc
from portal.search.query import MAX_CLAUSES

__all__ = ["like_query_text", "like_terms"]

W_TITLE, W_META, W_BODY = 3.0, 2.0, 1.0
CANDIDATES = 60
MAX_WORDS = 20
MIN_WORDS = 5
BOOSTED = 6
MAX_NUMBERS = 3
NUMBER_REPEAT = 2
# A word in more than this share of the index is no sign of likeness (but kept in a tiny index).
COMMON_SHARE = 0.6

# Folded Vietnamese function words: in every document, they would make every document look alike.
# Only words that are grammar in every reading once folded ("thì" is not here: it folds to "thi" of
# "thi đua"); words common to all documents ("ủy ban nhân dân") are weighed down by idf instead.
STOPWORDS = frozenset("""
va cua cac co duoc cho trong voi la nhung nay da theo ve de tai mot nam ngay thang khi tu den tren hoac
neu nhu cung khong phai se dang boi vi nen ma thuoc tung moi tat ca nhieu sau truoc vv can cu
""".split())


def _counts(doc: SearchDoc) -> Counter:
    """Each folded word of the document, weighted by where it stands."""
    weights: Counter = Counter()
    for text, w in ((doc.title, W_TITLE), (doc.issuer, W_META), (doc.summary, W_META), (doc.text, W_BODY)):
        for term in folded_terms(text):
            if len(term) >= 2 and not term.isdigit() and term not in STOPWORDS:
                weights[term] += w
    return weights


def like_terms(engine: Engine, doc: SearchDoc, *, max_words: int = MAX_WORDS) -> list[tuple[str, float]]:
    """The document's most distinctive words with their weights, best first."""
    counts = _counts(doc)
    if not counts:
        return []
    candidates = [t for t, _ in counts.most_common(CANDIDATES)]
    df = engine.doc_frequencies(candidates)
    n = max(1, engine.doc_count())
    scored, common = [], []
    for term in candidates:
        freq = df.get(term, 0)
        if freq <= 1:  # the document itself is (normally) indexed: a word only it has finds no other
            continue
        idf = math.log(1 + (n - freq + 0.5) / (freq + 0.5))
        (common if n >= 10 and freq > COMMON_SHARE * n else scored).append((term, (1 + math.log(counts[term])) * idf))
    order = (lambda item: (-item[1], item[0]))
    scored.sort(key=order)
    if len(scored) < MIN_WORDS:  # a document of common words only: its least common ones still say something
        scored += sorted(common, key=order)[: MIN_WORDS - len(scored)]
    return scored[:max_words]


def _number(number: str) -> str | None:
    """The number typed compactly in capitals (`27/KH-UBND`), which the query reads as a number."""
    key = number_key(number)
    return key.replace("-", "/", 1).upper() if "-" in key else None


def _phrase(number: str) -> str | None:
    """The number's first two words as a phrase (`"27 kh"`): where another document cites it.

    Two words are one word pair in the index, exact with no confirmation pass; a longer phrase
    would make the engines check every candidate's text.
    """
    tokens = number_key(number).split("-")
    return f'"{tokens[0]} {tokens[1]}"' if len(tokens) >= 2 else None


def like_query_text(terms: list[tuple[str, float]], own_number: str = "", cited: Iterable[str] = ()) -> str:
    """The OR query (ordinary query language) for these weighted words and numbers."""
    parts: list[str] = []
    cited = [c for c in dict.fromkeys(cited) if number_key(c)][:MAX_NUMBERS]
    for number in cited:
        # A cited document is an explicit link: its number counts as much as a few shared words.
        as_number, as_phrase = _number(number), _phrase(number)
        parts.extend([as_number] * NUMBER_REPEAT if as_number else [])
        parts.extend([as_phrase] if as_phrase else [])
    own = _phrase(own_number) if own_number else None
    if own:
        parts.append(own)
    room = MAX_CLAUSES - len(parts)
    words = [t for t, _ in terms][:room]
    boosted = words[: min(BOOSTED, max(0, room - len(words)))]
    parts.extend(words)
    parts.extend(boosted)
    return " OR ".join(parts[:MAX_CLAUSES])
