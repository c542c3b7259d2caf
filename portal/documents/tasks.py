"""Slow document work for the task queue."""
from portal.tasks import app_context, huey


@huey.task(retries=1, retry_delay=30)
def ocr_document(document_id: int) -> str:
    """Read a scanned document by OCR (tesseract, Vietnamese) and store its text."""
    from portal.documents.services import apply_ocr

    with app_context():
        return apply_ocr(document_id)
