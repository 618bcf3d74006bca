"""guanjia export-projects FILE [--region CODE] [--stage S] [--industry CODE] [--level L] …

Writes the ledger with the same filters as the web list (projects.ledger.LedgerFilter).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanjia.accounts.models import User
from guanjia.industries.models import Industry
from guanjia.projects.access import projects_for
from guanjia.projects.exporters import export_projects
from guanjia.projects.ledger import LedgerFilter
from guanjia.projects.models import Level, Project
from guanjia.projects.stages import ALIASES, Stage
from guanjia.regions.models import Region

FILTERS = ("region", "industry", "stage", "level", "stalled", "q", "sort")


class Command(BaseCommand):
    help = "Export the project ledger (optionally filtered) to an .xlsx file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx file to write")
        parser.add_argument("--region", help="a region code or name; includes everything under it")
        parser.add_argument("--industry", help="an industry code or name")
        parser.add_argument("--stage", help="a stage (signed, construction… or 签约, 开工…)")
        parser.add_argument("--level", choices=Level.values)
        parser.add_argument("--stalled", help="1 for any stall list, or a list's key")
        parser.add_argument("--q", help="search project or enterprise names, or a credit code")
        parser.add_argument("--sort", help="e.g. name, -investment, signed_on (default: newest)")
        parser.add_argument("--user", help="export what this user sees (default: everything)")

    def handle(self, *args: Any, **options: Any) -> None:
        params = {k: options[k] for k in FILTERS if options.get(k)}
        if "region" in params:
            params["region"] = self._region(params["region"])
        if "industry" in params:
            params["industry"] = self._industry(params["industry"])
        if "stage" in params:
            params["stage"] = self._stage(params["stage"])
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("no active user called %(name)s") % {"name": options["user"]})
            projects = projects_for(user)
        else:
            projects = Project.objects.all()
        path = Path(options["file"])
        if not path.parent.is_dir():
            raise CommandError(_("no such folder: %(path)s") % {"path": path.parent})
        count = export_projects(LedgerFilter.from_params(params).apply(projects), path)
        self.stdout.write(
            ngettext("Wrote %(n)d project to %(path)s.", "Wrote %(n)d projects to %(path)s.", count)
            % {"n": count, "path": path}
        )

    def _region(self, value: str) -> str:
        region = Region.objects.filter(Q(code=value) | Q(name=value) | Q(short_name=value)).first()
        if region is None:
            raise CommandError(_("no region “%(value)s”") % {"value": value})
        return region.code

    def _industry(self, value: str) -> str:
        industry = Industry.objects.filter(Q(code=value) | Q(name=value)).first()
        if industry is None:
            raise CommandError(_("no industry “%(value)s”") % {"value": value})
        return industry.code

    def _stage(self, value: str) -> str:
        if value in Stage.values:
            return value
        for stage, words in ALIASES.items():
            if value in words:
                return stage
        raise CommandError(
            _("no stage “%(value)s”; use one of %(stages)s")
            % {"value": value, "stages": ", ".join(Stage.values)}
        )
