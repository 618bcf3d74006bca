"""Element guarantee rules: recording them, what they block, and admin overrides."""

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.audit import audited_save
from guanjia.projects.models import Project
from guanjia.projects.stages import NEXT, ORDER, Stage

from .access import require_editor, require_overrider
from .models import BLOCKS, STATUSES, Guarantee, GuaranteeOverride, Kind, Status

EDITABLE = [
    "status", "land_mu", "energy_tce", "env_level", "approval_number", "finance_needed_wan",
    "finance_secured_wan", "department", "due_on", "note",
]  # fmt: skip


@transaction.atomic
def set_guarantee(actor: Any, project: Project, kind: str, **fields: Any) -> Guarantee:
    """Create or update the project's guarantee of `kind`; met_on follows the final status."""
    require_editor(actor, project)
    if kind not in Kind.values:
        raise ValidationError(_("“%(kind)s” is not a guarantee") % {"kind": kind})
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("unknown fields: %(names)s") % {"names": ", ".join(unknown)})
    guarantee = Guarantee.objects.select_for_update().filter(
        project=project, kind=kind
    ).first() or Guarantee(project=project, kind=kind, status=STATUSES[kind][0])
    for name, value in fields.items():
        setattr(guarantee, name, value)
    if guarantee.status in STATUSES[kind] and guarantee.is_met:
        guarantee.met_on = guarantee.met_on or timezone.localdate()
    else:
        guarantee.met_on = None
    audited_save(guarantee, actor)
    return guarantee


@transaction.atomic
def fill_land(actor: Any, project: Project, area_mu: Any, what: str) -> Guarantee:
    """The land guarantee from a plot transferred (已出让) to the project (the parks' step,
    through `projects.services.land_taken`): status 已出让 unless already delivered, the
    area, the plot named in the note. The step has checked who may take it."""
    guarantee = Guarantee.objects.select_for_update().filter(
        project=project, kind=Kind.LAND
    ).first() or Guarantee(project=project, kind=Kind.LAND, status=Status.NOT_SUPPLIED)
    if guarantee.status != Status.DELIVERED:
        guarantee.status = Status.TRANSFERRED
    if area_mu is not None:
        guarantee.land_mu = Decimal(area_mu).quantize(Decimal("0.01"))
    guarantee.note = (_("Plot %(plot)s") % {"plot": what})[:300]
    if guarantee.is_met:
        guarantee.met_on = guarantee.met_on or timezone.localdate()
    audited_save(guarantee, actor, note=str(what))
    return guarantee


@transaction.atomic
def override(actor: Any, project: Project, stage: str, reason: str) -> GuaranteeOverride:
    """A city admin lets `project` reach `stage` despite unmet guarantees, saying why."""
    require_overrider(actor, project)
    if stage not in Stage.values:
        raise ValidationError(_("“%(stage)s” is not a stage") % {"stage": stage})
    if not reason.strip():
        raise ValidationError({"reason": _("give a reason for the override")})
    item = GuaranteeOverride(project=project, stage=stage, reason=reason.strip(), by=actor)
    audited_save(item, actor)
    return item


def _feeds(kind: str, from_stage: str, to_stage: str) -> bool:
    """Whether a guarantee of `kind` must be met to go from `from_stage` to `to_stage`."""
    target = BLOCKS.get(kind)
    if target is None or to_stage not in ORDER or target not in ORDER:
        return False
    start = ORDER.get(from_stage, -1)
    return start < ORDER[target] <= ORDER[to_stage]


def blocking(project: Project, to_stage: str) -> list[Guarantee]:
    """Unmet guarantees feeding `to_stage` (or a stage skipped on the way); [] if overridden.

    Corrections (going back) and withdrawal are never blocked; a project without guarantee
    rows is not blocked.
    """
    if (
        to_stage not in ORDER
        or project.stage == Stage.WITHDRAWN
        or ORDER[to_stage] <= ORDER.get(project.stage, -1)
    ):
        return []
    # No kind of guarantee feeds this move (lead → negotiating): nothing to read.
    kinds = [kind for kind in BLOCKS if _feeds(kind, project.stage, to_stage)]
    if not kinds:
        return []
    rows = Guarantee.objects.filter(
        project=project, met_on__isnull=True, kind__in=kinds
    ).select_related("department")
    missing = [g for g in rows if not g.is_met]
    # The override is read only when something would block.
    if missing and GuaranteeOverride.objects.filter(project=project, stage=to_stage).exists():
        return []
    return missing


def describe(guarantee: Guarantee) -> str:
    """“Land: Transferred (自然资源局, due 2026-12-01)”."""
    bits = [str(guarantee.department)] if guarantee.department_id else []
    if guarantee.due_on:
        bits.append(_("due %(date)s") % {"date": guarantee.due_on.isoformat()})
    text = _("%(kind)s: %(status)s") % {
        "kind": guarantee.get_kind_display(),
        "status": guarantee.get_status_display(),
    }
    return f"{text} ({', '.join(bits)})" if bits else text


def blocking_message(project: Project, to_stage: str) -> str:
    """Why the move is refused, or '' when it is not."""
    missing = blocking(project, to_stage)
    if not missing:
        return ""
    return _("“%(stage)s” cannot be reached, guarantees are not met: %(missing)s") % {
        "stage": Stage(to_stage).label,
        "missing": "; ".join(describe(g) for g in missing),
    }


def next_stage(project: Project) -> str | None:
    """The furthest stage the project may move to next (registered may jump to construction)."""
    ahead = [s for s in NEXT.get(project.stage, set()) if s in ORDER]
    return max(ahead, key=ORDER.__getitem__) if ahead else None


def holding(project: Project) -> list[str]:
    """Human-readable reasons, from unmet guarantees, why the project's next stage waits."""
    return holding_many([project]).get(project.pk, [])


def holding_many(projects: Sequence[Project]) -> dict[int, list[str]]:
    """`holding` for many projects in two queries (the stalled lists): unmet guarantees
    feeding each project's next stage, unless a city admin overrode that stage."""
    ahead = {p.pk: stage for p in projects if (stage := next_stage(p))}
    if not ahead:
        return {}
    overridden = set(
        GuaranteeOverride.objects.filter(project_id__in=list(ahead)).values_list(
            "project_id", "stage"
        )
    )
    unmet: dict[int, list[Guarantee]] = defaultdict(list)
    for g in Guarantee.objects.filter(
        project_id__in=list(ahead), met_on__isnull=True
    ).select_related("department"):
        unmet[g.project_id].append(g)
    out: dict[int, list[str]] = {}
    for project in projects:
        stage = ahead.get(project.pk)
        if stage is None or (project.pk, stage) in overridden:
            continue
        found = [
            describe(g)
            for g in unmet.get(project.pk, [])
            if not g.is_met and _feeds(g.kind, project.stage, stage)
        ]
        if found:
            out[project.pk] = found
    return out
