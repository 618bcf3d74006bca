"""The ledger importer moved to guanjia.projects.importers (on the sheet kit,
guanjia.core.sheets); these names stay for the code and tests that still import them here."""

from guanjia.projects.importers import *  # noqa: F403
from guanjia.projects.importers import __all__  # noqa: F401
