"""Every domain's tables, imported in one place so ``Base.metadata`` is complete.

Alembic's ``env.py`` and the schema test import this; the app does not need to.
"""

from crewline.assessments import models as assessment_models
from crewline.audit import models as audit_models
from crewline.auth import models as auth_models
from crewline.db import Base
from crewline.hiring import models as hiring_models
from crewline.orgs import models as orgs_models
from crewline.people import models as people_models
from crewline.projects import models as projects_models
from crewline.quality import models as quality_models
from crewline.tasks import models as tasks_models
from crewline.webhooks import models as webhooks_models

__all__ = [
    "Base",
    "assessment_models",
    "audit_models",
    "auth_models",
    "hiring_models",
    "orgs_models",
    "people_models",
    "projects_models",
    "quality_models",
    "tasks_models",
    "webhooks_models",
]
