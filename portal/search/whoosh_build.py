"""A rebuild's postings without Whoosh's sorting pool: grouped per term as documents arrive.

Whoosh's writer sends every posting of every document (about 800 per document here) to a pool as
a `(field, term, docnum, weight, value)` tuple, sorts them all at commit and, past its memory
limit, pickles sorted runs to disk and merges them back one tuple at a time; the codec then
writes the postings one call per posting. At 3,000 documents two thirds of a rebuild went there.

In a rebuild documents arrive in docnum order and no segment is merged, so a term's postings come
in docnum order already: `TermPool` appends them to per-term arrays (no tuple per posting, no
sort, no spill), and `write_grouped` hands each term's arrays to the codec's postings writer a
whole block at a time. The segment files are the same as Whoosh writes them (same codec, blocks,
term infos; the engine test suite reads them). The rebuild starts a new segment when the pool's
estimate reaches its limit, which bounds memory instead of the spill files.
"""

from __future__ import annotations

from array import array

from whoosh.writing import PostingPool

__all__ = ["TermPool", "add_document", "write_grouped"]

# Rough bytes per posting (two array slots and a list slot) and per new term (key, arrays, dict slot).
POSTING_BYTES = 20
TERM_BYTES = 400


class TermPool(PostingPool):
    """`{field: {term: (docnums, weights, values)}}`, filled in docnum order (rebuild only)."""

    def __init__(self, tempstore, segment, limitmb: int = 128, **kwargs) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self.fields: dict[str, dict[bytes, tuple[array, array, list]]] = {}
        self._distinct: dict[bytes, bytes] = {}  # one object per distinct value (frequencies repeat)

    @property
    def full(self) -> bool:
        return self.currentsize >= self.limit

    def add(self, item) -> None:
        fieldname, text, docnum, weight, value = item
        self.add_field(fieldname, docnum, ((text, 0, weight, value),))

    def add_field(self, fieldname: str, docnum: int, items) -> None:
        """Add one document's `(term, frequency, weight, value)` items of one field."""
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        distinct = self._distinct
        size = 0
        for text, _, weight, value in items:
            postings = terms.get(text)
            if postings is None:
                postings = terms[text] = (array("I"), array("f"), [])
                size += TERM_BYTES + len(text)
            elif postings[0][-1] >= docnum:  # pragma: no cover - only a merge could; rebuilds never merge
                raise ValueError("TermPool needs postings in docnum order (a rebuild without merging)")
            postings[0].append(docnum)
            postings[1].append(weight)
            if value:  # as `add_posting`: a field's postings all have a value (frequency) or none (ID)
                postings[2].append(distinct.setdefault(value, value))
            size += POSTING_BYTES
        self.currentsize += size

    def iter_postings(self):
        return self  # the portal's field writer recognises the pool and writes it term by term

    def save(self) -> None:  # pragma: no cover - the rebuild commits a segment instead of spilling
        raise AssertionError("TermPool never spills; the rebuild starts a new segment when it is full")

    def cleanup(self) -> None:
        self.fields.clear()
        self._distinct.clear()


def add_document(writer, fields: dict) -> None:
    """`SegmentWriter.add_document` for a rebuild: the same per-document records, postings straight into the pool.

    Whoosh's version builds a tuple and makes a call per posting; this hands each field's items to
    `TermPool.add_field` at once. It covers what the portal's schema uses: no boosts, spelling or
    vectors, and no field is scorable (the engine keeps its own length columns), so lengths are 0.
    """
    writer._check_state()
    perdoc, schema, docnum, pool = writer.perdocwriter, writer.schema, writer.docnum, writer.pool
    perdoc.start_doc(docnum)
    try:
        for fieldname in sorted(fields):
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            if field.indexed:
                pool.add_field(fieldname, docnum, field.index(value))
            perdoc.add_field(fieldname, field, value if field.stored else None, 0)
            if field.column_type:
                perdoc.add_column_value(fieldname, field.column_type, field.to_column_value(value))
    except Exception:
        perdoc.cancel_doc()
        raise
    perdoc.finish_doc()
    writer._added = True
    writer.docnum += 1


def write_grouped(fieldwriter, schema, pool: TermPool) -> None:
    """Write `pool` through `fieldwriter` (a W3FieldWriter): same files as Whoosh's per-posting path."""
    for fieldname in sorted(pool.fields):
        terms = pool.fields[fieldname]
        fieldwriter.start_field(fieldname, schema[fieldname])
        writer = fieldwriter._postwriter
        limit = writer._blocklimit
        for text in sorted(terms):
            ids, weights, values = terms[text]
            fieldwriter.start_term(text)
            n = len(ids)
            # As `add_posting` does: a full block is written when one more posting arrives, the last
            # one (full or not) is left for `finish_term` (which may inline a single posting).
            for start in range(0, n, limit):
                end = start + limit
                writer._ids, writer._weights = ids[start:end], weights[start:end]
                writer._values = values[start:end] if values else []
                writer._maxweight = max(writer._weights)
                if end < n:
                    writer._write_block()
            fieldwriter.finish_term()
        fieldwriter.finish_field()
        terms.clear()
