"""Generate a report's files now, into a directory, and say how long each step took.

    guanjia make_report weekly --day 2023-03-22 --area 210700 --out /tmp/reports

Without --out it only times the work (the benchmark: the weekly PDF at city scale)."""

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from guanjia.regions.models import Region
from guanjia.reports import content, render
from guanjia.reports.models import Report, ReportKind, period_of


class Command(BaseCommand):
    help = "Generate a weekly or monthly report as PDF, DOCX and XLSX and time each step."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument("--day", help="a day in the period (YYYY-MM-DD); default: last week")
        parser.add_argument("--area", help="region code; default: the city (GUANJIA_CITY_CODE)")
        parser.add_argument("--all-areas", action="store_true", help="every area (no region)")
        parser.add_argument("--out", help="directory to write the files to")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE)
        parser.add_argument("--repeat", type=int, default=1, help="time the PDF this many times")

    def handle(self, *args: Any, **options: Any) -> None:
        day = (
            dt.date.fromisoformat(options["day"])
            if options["day"]
            else timezone.localdate() - dt.timedelta(days=7)
        )
        region = None
        if not options["all_areas"]:
            code = options["area"] or settings.GUANJIA_CITY_CODE
            region = Region.objects.filter(code=code).first()
            if region is None:
                raise CommandError(f"no region with the code {code}")
        start, end = period_of(options["kind"], day)
        report = Report(kind=options["kind"], period_start=start, period_end=end, region=region)
        with translation.override(options["language"]):
            for _ in range(max(1, options["repeat"])):
                began = time.perf_counter()
                body = content.build(options["kind"], start, end, region)
                built = time.perf_counter()
                pdf = render.to_pdf(body)
                drawn = time.perf_counter()
                self.stdout.write(
                    f"{report} {region or 'all areas'}: content {built - began:.2f} s, "
                    f"PDF {drawn - built:.2f} s, in all {drawn - began:.2f} s "
                    f"({len(pdf) // 1024} KB)"
                )
            began = time.perf_counter()
            docx = render.to_docx(body)
            xlsx = render.to_xlsx(body)
            self.stdout.write(f"DOCX and XLSX {time.perf_counter() - began:.2f} s")
            if options["out"]:
                out = Path(options["out"])
                out.mkdir(parents=True, exist_ok=True)
                for fmt, data in (("pdf", pdf), ("docx", docx), ("xlsx", xlsx)):
                    path = out / report.file_name(fmt)
                    path.write_bytes(data)
                    self.stdout.write(f"wrote {path}")
