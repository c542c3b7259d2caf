"""Slow document work for the task queue: OCR of scans, and putting back the OCR left behind."""
import threading

from portal.tasks import app_context, config, huey

_started = threading.Lock()
_requeued_at_start = False


@huey.task()
def ocr_document(document_id: int) -> str:
    """Read a scanned document by OCR (tesseract, Vietnamese) and store its text."""
    from portal.documents.ocr_jobs import apply_ocr

    with app_context():
        return apply_ocr(document_id)


def _requeue_due(moment) -> bool:
    """Every PORTAL_OCR_REQUEUE_MINUTES minutes (5; 0 leaves only the requeue at the worker's start)."""
    minutes = int(config("PORTAL_OCR_REQUEUE_MINUTES", 5))
    return minutes > 0 and (moment.hour * 60 + moment.minute) % minutes == 0


@huey.periodic_task(_requeue_due)
def requeue_ocr() -> int:
    """Queue again the OCR of documents left pending, stuck running or failed with attempts left."""
    from portal.documents.ocr_jobs import requeue_ocr as requeue

    with app_context():
        return len(requeue())


@huey.on_startup()
def requeue_ocr_at_start() -> None:
    """When the worker starts, pick up the OCR that waited while no worker ran (once per process)."""
    global _requeued_at_start
    # Huey calls start-up hooks in every worker thread; one requeue is enough.
    with _started:
        if _requeued_at_start:
            return
        _requeued_at_start = True
    from portal.documents.ocr_jobs import requeue_ocr as requeue

    with app_context():
        requeue(at_start=True)
