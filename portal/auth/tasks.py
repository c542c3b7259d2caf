"""Daily housekeeping of login records: ended sessions and old login attempts are not kept forever."""
from huey import crontab

from portal.tasks import app_context, huey


@huey.periodic_task(crontab(minute="17", hour="3"))
def purge_old_login_records() -> int:
    """Delete session records ended or unused for 30 days and login attempts older than 30 days."""
    from portal.auth import sessions

    with app_context():
        return sessions.purge_old(days=30)
