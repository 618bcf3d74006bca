"""What the platform needs outside Python, as Django system checks (issue 20, item 5).

Each is an Error, so `guanjia check` (and `check --deploy`), every management command that
runs the checks (`serve`, `migrate`, the workers, the scheduler) and the web server
(guanjia/wsgi.py, in the production profile) refuse to start without it:

- guanjia.E001  no Chinese font fontconfig can find: every character of a PDF report would be
                an empty box (fonts-noto-cjk);
- guanjia.E002  WeasyPrint's system libraries (Pango, HarfBuzz, fontconfig, GObject) missing:
                no PDF report at all (libpango-1.0-0, libpangoft2-1.0-0);
- guanjia.E003  the private store (the local folder, or the S3 bucket) does not take a file:
                no upload, import or report could be kept.

`deploy/system-deps.sh run` installs the packages. A node that never draws a PDF may silence
E001/E002 with SILENCED_SYSTEM_CHECKS, at its own risk; reports still refuse to be drawn
without the font (guanjia.core.health.require_cjk_font).
"""

import ctypes
import logging
from typing import Any

from django.core import checks

from . import health

log = logging.getLogger("guanjia.checks")

TAG = "prerequisites"
# WeasyPrint's libraries, by the names it opens them (weasyprint/text/ffi.py); the first that
# loads counts.
WEASYPRINT_LIBRARIES = {
    "GObject": ("libgobject-2.0.so.0", "libgobject-2.0-0", "libgobject-2.0.0.dylib"),
    "Pango": ("libpango-1.0.so.0", "libpango-1.0-0", "libpango-1.0.dylib"),
    "PangoFT2": ("libpangoft2-1.0.so.0", "libpangoft2-1.0-0", "libpangoft2-1.0.dylib"),
    "HarfBuzz": ("libharfbuzz.so.0", "libharfbuzz-0", "libharfbuzz.0.dylib"),
    "fontconfig": ("libfontconfig.so.1", "libfontconfig-1", "libfontconfig.1.dylib"),
}


def _loads(names: tuple[str, ...]) -> bool:
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def missing_libraries() -> list[str]:
    """The WeasyPrint libraries that cannot be loaded (by their usual names)."""
    return [label for label, names in WEASYPRINT_LIBRARIES.items() if not _loads(names)]


def font_error() -> list[checks.CheckMessage]:
    if health.cjk_font():
        return []
    return [
        checks.Error(
            "No Chinese font is installed (fc-list :lang=zh finds none): PDF reports would show "
            "empty boxes, so none is drawn.",
            hint="Install fonts-noto-cjk: deploy/system-deps.sh run (or make deps-run).",
            id="guanjia.E001",
        )
    ]


def library_error() -> list[checks.CheckMessage]:
    missing = missing_libraries()
    if not missing:
        return []
    return [
        checks.Error(
            f"WeasyPrint's system libraries are missing ({', '.join(missing)}): no PDF report "
            "can be drawn.",
            hint="Install libpango-1.0-0 and libpangoft2-1.0-0: deploy/system-deps.sh run.",
            id="guanjia.E002",
        )
    ]


def storage_error() -> list[checks.CheckMessage]:
    from django.conf import settings

    where = (
        f"the bucket {settings.GUANJIA_S3_BUCKET!r} at {settings.GUANJIA_S3_ENDPOINT_URL or 'AWS'}"
        if "private" in settings.STORAGES
        else f"the folder {settings.GUANJIA_PRIVATE_ROOT}"
    )
    try:
        writable = health.storage()
        reason = "" if writable else "the file written was not read back"
    except Exception as exc:
        log.warning("the private store did not take a file", exc_info=True)
        writable, reason = False, f"{type(exc).__name__}: {exc}"[:300]
    if writable:
        return []
    return [
        checks.Error(
            f"The private store ({where}) does not take a file: {reason}.",
            hint="Make GUANJIA_PRIVATE_ROOT writable for the service user, or check the "
            "GUANJIA_S3_* settings and that the object storage answers.",
            id="guanjia.E003",
        )
    ]


@checks.register(TAG)
def prerequisites(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The font, WeasyPrint's libraries and a writable private store."""
    return [*font_error(), *library_error(), *storage_error()]


def serious_problems() -> list[checks.CheckMessage]:
    """The prerequisites' errors that SILENCED_SYSTEM_CHECKS does not silence (for the web
    server's start, which runs no management command)."""
    return [m for m in checks.run_checks(tags=[TAG]) if m.is_serious() and not m.is_silenced()]
