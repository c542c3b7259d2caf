"""Slow document work for the task queue: OCR of scans and its requeue, first-page thumbnails and their backfill."""
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


@huey.task()
def make_thumbnail(document_id: int) -> str:
    """Draw the first page of a document as a small PNG (poppler, under time and memory limits)."""
    from portal.documents.thumbnails import make_for_document

    with app_context():
        return make_for_document(document_id)


def _backfill_due(moment) -> bool:
    """Every PORTAL_THUMBNAIL_BACKFILL_MINUTES minutes (60; 0 leaves only the backfill at the worker's start)."""
    minutes = int(config("PORTAL_THUMBNAIL_BACKFILL_MINUTES", 60))
    return minutes > 0 and (moment.hour * 60 + moment.minute) % minutes == 0


@huey.periodic_task(_backfill_due)
def backfill_thumbnails() -> int:
    """Queue the thumbnails of documents that have none yet (archives older than thumbnails, a lost queue)."""
    from portal.documents.thumbnails import backfill

    with app_context():
        return len(backfill())


_thumbnails_started = threading.Lock()
_backfilled_at_start = False


@huey.on_startup()
def backfill_thumbnails_at_start() -> None:
    """When the worker starts, queue the thumbnails missing while no worker ran (once per process)."""
    global _backfilled_at_start
    with _thumbnails_started:  # Huey calls start-up hooks in every worker thread
        if _backfilled_at_start:
            return
        _backfilled_at_start = True
    from flask import current_app

    from portal.documents.thumbnails import backfill

    with app_context():
        queued = backfill()
        current_app.logger.info("thumbnails: %d missing one(s) queued at the worker's start", len(queued))
