"""Import jobs moved to guanjia.core.models (one job model for every kind of import); these
names stay for the code and tests that still import them from here."""

from guanjia.core.models import RUNNING, ImportJob, ImportStatus

__all__ = ["RUNNING", "ImportJob", "ImportStatus"]
