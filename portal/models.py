"""Import every model so metadata, Alembic and relationships see all tables."""
from portal.audit import AuditEvent  # noqa: F401
from portal.auth.models import ApiToken, LoginAttempt, User  # noqa: F401
from portal.org.models import Bloc, Membership, Unit  # noqa: F401
from portal.documents.models import Citation, Document, IndexOutbox  # noqa: F401
from portal.schedule.models import Milestone, MilestoneCheck  # noqa: F401
from portal.scoring.models import BlocMeeting, CriteriaTable, Criterion, Result, Score, Scorecard, ScoringThresholds  # noqa: F401
