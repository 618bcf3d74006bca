"""The stalled lists (签约未注册 / 注册未开工 / 开工未竣工) with what holds each project, and
the once-per-stall notice to its steward and leader in charge."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .holding import reasons, reasons_many
from .models import STALL_WATCH, Project, StallKind, StallNotice, stall_limits


@dataclass
class StalledRow:
    project: Project
    kind: str
    since: dt.date | None
    days: int
    limit: int
    reasons: list[str]


def stalled(qs: QuerySet[Project], kind: str, today: dt.date) -> QuerySet[Project]:
    """The projects of `qs` on one stall list, longest stalled first."""
    _stages, date_field = STALL_WATCH[kind]
    return qs.stalled(today, kind).order_by(date_field, "id")  # type: ignore[attr-defined]


def rows(projects: list[Project], kind: str, today: dt.date) -> list[StalledRow]:
    """Each project with how long it has waited, its limit and the reasons it waits."""
    _stages, date_field = STALL_WATCH[kind]
    limits = stall_limits()
    held = reasons_many(projects)
    out = []
    for project in projects:
        since = getattr(project, date_field)
        limit = limits.get((kind, project.level), limits[(kind, "")])
        out.append(
            StalledRow(
                project=project,
                kind=kind,
                since=since,
                days=(today - since).days if since else 0,
                limit=limit,
                reasons=held.get(project.pk, []),
            )
        )
    return out


def notify_stalled(today: dt.date | None = None) -> int:
    """Tell each newly stalled project's steward and leader in charge, once per stall."""
    from guanjia.notifications.services import batched, notify

    today = today or timezone.localdate()
    told = 0
    with translation.override(settings.LANGUAGE_CODE):
        for kind in StallKind.values:
            _stages, date_field = STALL_WATCH[kind]
            projects = stalled(Project.objects.all(), kind, today).select_related(
                "steward", "leader", "region"
            )
            for project in projects.iterator(chunk_size=500):
                since = getattr(project, date_field)
                try:
                    with transaction.atomic(), batched():
                        StallNotice.objects.create(project=project, kind=kind, since=since)
                        why = "; ".join(reasons(project)) or _("no reason recorded")
                        notify(
                            [project.steward, project.leader],
                            kind="project.stalled",
                            title=_("%(project)s is on the list “%(list)s” since %(since)s")
                            % {
                                "project": project.name,
                                "list": StallKind(kind).label,
                                "since": since,
                            },
                            body=_("Holding it: %(why)s") % {"why": why},
                            url=reverse("projects:project_detail", args=[project.pk]),
                            target=project,
                        )
                except IntegrityError:
                    continue  # told before for this stall
                told += 1
    return told
