"""The ledger exporter moved to guanjia.projects.exporters; these names stay for the code and
tests that still import them from here."""

from guanjia.projects.exporters import (
    COLUMNS,
    MAX_CELL_TEXT,
    export_filename,
    export_projects,
)

__all__ = ["COLUMNS", "MAX_CELL_TEXT", "export_filename", "export_projects"]
