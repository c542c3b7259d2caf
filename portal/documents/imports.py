"""Bulk import of PDFs from folders (the `import` command's service)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from portal.documents import services as docs
from portal.errors import ServiceError


@dataclass
class ImportSummary:
    imported: list[tuple[Path, int]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)


def find_pdfs(paths: Iterable[str | Path]) -> list[Path]:
    """Every PDF under the given files and folders (recursively), in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # Not `is_file()`: a dangling link or an entry that cannot be read must be reported, not skipped.
            found.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and not p.is_dir()))
        else:
            found.append(path)
    return found


def import_files(actor, files: list[Path], fields: dict, *, progress: Callable[[Path], None] | None = None) -> ImportSummary:
    """Ingest each file on its own (one refusal never stops the rest); duplicates are skipped.

    Outside a request, ingest waits for a slot of the process's PDF inspection pool instead of being
    refused as busy (pdf.InspectionPool, `patient`): a long import never fails because the pool is full.
    """
    summary = ImportSummary()
    for path in files:
        try:
            if not path.is_file():
                summary.refused.append((path, "Không tìm thấy tệp."))
                continue
            with open(path, "rb") as stream:
                result = docs.ingest(actor, stream, path.name, fields)
            summary.imported.append((path, result.document.id))
        except docs.DuplicateDocument as exc:
            summary.skipped.append((path, exc.message))
        except ServiceError as exc:
            details = "; ".join(str(v) for v in exc.errors.values())
            summary.refused.append((path, exc.message + (f" ({details})" if details else "")))
        except OSError as exc:
            summary.refused.append((path, f"Không đọc được tệp: {exc.strerror or exc}"))
        finally:
            if progress:
                progress(path)
    return summary
