"""The scoring services, one import for views, the API and tests: everything public of the modules below.

By the domain's seams: `criteria` (tables, members, criteria editing, the lock), `scores` (cells, saves, the
self-score, totals, history), `results` (thresholds, results, status, flags, overview), `sheet` (the scoring
sheet); labels in `labels`; the pure rules in `rules`; XLSX in `sheets`, the PDF record in `record`.
"""
from portal.scoring.criteria import *  # noqa: F401,F403
from portal.scoring.labels import *  # noqa: F401,F403
from portal.scoring.results import *  # noqa: F401,F403
from portal.scoring.scores import *  # noqa: F401,F403
from portal.scoring.sheet import *  # noqa: F401,F403
