"""Periodic repair of the index from the outbox (a crash between commit and indexing loses nothing)."""
from huey import crontab

from portal.tasks import app_context, huey


@huey.periodic_task(crontab(minute="*"))
def apply_index_outbox() -> int:
    """Apply index updates still waiting in the outbox."""
    from portal.search.services import apply_outbox

    with app_context():
        return apply_outbox()


@huey.periodic_task(crontab(minute="*/5"))
def compact_index() -> bool:
    """Merge the index's small segments in the background (updates add theirs without merging, to stay fast)."""
    from portal.search.services import compact_index

    with app_context():
        return compact_index()


@huey.task()
def rebuild_search_index() -> int:
    """Rebuild the index from the database (the `reindex` command does the same in the foreground)."""
    from portal.search.services import rebuild_index

    with app_context():
        return rebuild_index()
