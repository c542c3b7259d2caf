"""Accuracy of read_metadata per field over the whole corpus (reader_cases and the shared samples).

Run with ``-s`` to see the table. Every case states every field, so a field is right when it is
exactly the expected value; the corpus must stay at 97 % of fields or better overall.
"""

from __future__ import annotations

from portal.documents.reader import read_metadata
from tests.unit.test_document_reader import CASES, EXPECTED, SAMPLE_EXPECTED, SAMPLES

FIELDS = (
    "type", "report_kind", "number", "issue_date", "place", "year", "issuer", "parent_issuer",
    "signer", "signers", "title", "citations",
)


def _corpus() -> list[tuple[str, str, dict]]:
    out = [(name, (CASES / name).read_text(encoding="utf-8"), exp) for name, exp in EXPECTED.items()]
    if SAMPLES.is_dir():
        for name, exp in SAMPLE_EXPECTED.items():
            if (SAMPLES / name).exists():
                out.append((name, (SAMPLES / name).read_text(encoding="utf-8"), exp))
    return out


def _main_signer_name(signers) -> str | None:
    main = next((s for s in signers if s.name and s.title not in ("Thư ký",)), None)
    return main.name if main else None


def test_reader_accuracy_per_field():
    corpus = _corpus()
    right = dict.fromkeys(FIELDS, 0)
    misses: list[str] = []
    for name, text, exp in corpus:
        meta = read_metadata(text)
        for f in FIELDS:
            want = _main_signer_name(exp["signers"]) if f == "signer" else exp[f]
            got = meta.signer if f == "signer" else getattr(meta, f)
            if got == want:
                right[f] += 1
            else:
                misses.append(f"  {name}: {f} = {got!r}, expected {want!r}")
    n = len(corpus)
    total = sum(right.values())
    overall = total / (n * len(FIELDS))
    print(f"\nReader accuracy over {n} documents:")
    for f in FIELDS:
        print(f"  {f:<14} {right[f]:>3}/{n}  {100 * right[f] / n:5.1f} %")
    print(f"  {'overall':<14} {total:>3}/{n * len(FIELDS)}  {100 * overall:5.1f} %")
    if misses:
        print("Misses:\n" + "\n".join(misses))
    assert n >= 60
    assert overall >= 0.97
