"""Report files live outside the web root and are served only through an access-checked view."""

import os
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class ReportStorage(FileSystemStorage):
    """settings.GUANJIA_PRIVATE_ROOT/reports, read on each use (tests move it); no URL."""

    @property  # type: ignore[override]
    def base_location(self) -> Any:
        return os.path.join(settings.GUANJIA_PRIVATE_ROOT, "reports")

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("report files have no public URL; use the report's download view")


report_storage = ReportStorage()
