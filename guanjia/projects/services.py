"""Changing projects: every mutation is atomic and audited; stages move only via `transition`."""

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core.audit import audited_save
from guanjia.core.hooks import Hooks
from guanjia.core.steps import Change, Step, StepTable, anyone, run
from guanjia.enterprises.models import Enterprise
from guanjia.enterprises.services import facts_changed

from . import stages
from .models import Project, StageChange
from .stages import Stage

# Gates on a forward stage move, `(project, to_stage) -> why it is refused, or ""`: the apps
# above this one register theirs in their AppConfig.ready() (guarantees: unmet guarantees).
stage_gates: Hooks[Callable[[Project, str], str]] = Hooks("projects.services.stage_gates")
# Land handed to a project, `(actor, project, area_mu, what)`: a plot transferred (已出让) to
# it in the parks' inventory; the apps that follow a project's land register theirs
# (guarantees: the land guarantee is filled from the plot). Called inside the step's
# transaction; actor None is the system.
land_taken: Hooks[Callable[[Any, Project, Any, str], object]] = Hooks(
    "projects.services.land_taken"
)

LIFECYCLE_FIELDS = ["stage", "withdrawn_reason", *stages.DATE_FIELD.values()]


class TransitionError(ValidationError):
    """A stage move that the lifecycle does not allow; the message says why."""


def today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def create_project(
    actor: Any,
    *,
    stage: str = Stage.LEAD,
    stage_on: dt.date | None = None,
    partners: list[Any] | None = None,
    **fields: Any,
) -> Project:
    """Create a project at its starting stage, stamping that stage's date."""
    project = Project(stage=stage, **fields)
    on = stage_on or today()
    if on > today():
        raise TransitionError({"stage_on": _("a stage cannot be reached in the future")})
    if getattr(project, stages.DATE_FIELD[stage]) is None:
        setattr(project, stages.DATE_FIELD[stage], on)
    audited_save(project, actor)
    facts_changed(project.enterprise_id)  # a project's investment can make a policy fit
    if partners:
        project.partners.set(partners)
    StageChange.objects.create(
        project=project,
        from_stage="",
        to_stage=stage,
        effective_on=on,
        actor=_actor(actor),
        evidence=_("entered in the ledger"),
    )
    return project


@transaction.atomic
def update_project(project: Project, actor: Any, **fields: Any) -> Project:
    """Change a project's facts (never its stage: that is `transition`)."""
    if "stage" in fields:
        raise TransitionError(_("change the stage with a stage move, not an edit"))
    partners = fields.pop("partners", None)
    # Lock the row and keep the stored stage and its dates: an edit made on a copy loaded
    # before someone else's stage move must not undo that move.
    current = Project.objects.select_for_update().get(pk=project.pk)
    for name in LIFECYCLE_FIELDS:
        setattr(project, name, getattr(current, name))
    for name, value in fields.items():
        if name in LIFECYCLE_FIELDS:
            raise TransitionError(_("change the stage with a stage move, not an edit"))
        setattr(project, name, value)
    audited_save(project, actor)
    facts_changed(project.enterprise_id)  # a project's investment can make a policy fit
    if partners is not None:
        project.partners.set(partners)
    return project


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def transition(
    project: Project,
    to_stage: str,
    actor: Any,
    *,
    on: dt.date | None = None,
    evidence: str = "",
    reason: str = "",
) -> StageChange:
    """Move a project to another stage: the step of that name in `STEPS`.

    1. Lock the row and re-read the current stage (two clerks may click at once).
    2. Check the move: forward along the allowed map, or a correction backwards with a reason.
    3. Stamp the stage date; a correction clears the dates of the stages it undoes.
    4. Record the stage change and the audit entry.
    """
    if to_stage not in Stage.values:
        raise TransitionError(_("“%(stage)s” is not a stage") % {"stage": to_stage})
    change = run(STEPS, to_stage, project, actor, on=on, evidence=evidence, reason=reason)
    return change.record


def _move(change: Change, on: dt.date | None = None, evidence: str = "", reason: str = "") -> None:
    """Stamp the stage reached (or, for a correction, clear the dates of the stages undone)."""
    project, from_stage, to_stage = change.obj, change.start, change.step.target
    assert to_stage is not None
    on = on or today()
    correction = stages.is_correction(from_stage, to_stage)
    if correction and not reason.strip():
        raise TransitionError(_("going back to an earlier stage is a correction: give a reason"))
    if to_stage == Stage.WITHDRAWN and not reason.strip():
        raise TransitionError(_("say why the project is withdrawn"))
    previous = project.stage_date(from_stage)
    if not correction and previous and on < previous:
        raise TransitionError(
            _("the date %(on)s is before the project reached its current stage (%(prev)s)")
            % {"on": on, "prev": previous}
        )
    if on > today():
        raise TransitionError(_("a stage cannot be reached in the future"))
    _check_guarantees(project, to_stage)

    project.stage = to_stage
    if correction:
        keep = set(stages.reached(to_stage))
        for stage in Stage.values:
            if stage not in keep:
                setattr(project, stages.DATE_FIELD[stage], None)
        project.withdrawn_reason = ""
    else:
        setattr(project, stages.DATE_FIELD[to_stage], on)
        if to_stage == Stage.WITHDRAWN:
            project.withdrawn_reason = reason
    change.note = reason or evidence
    change.opts.update(on=on, evidence=evidence, reason=reason, correction=correction)


def _stage_change(change: Change) -> StageChange:
    """The project's own history row (the engine writes it)."""
    return StageChange(
        project=change.obj,
        from_stage=change.from_status,
        to_stage=change.obj.stage,
        effective_on=change.opts["on"],
        actor=_actor(change.actor),
        evidence=change.opts["evidence"],
        is_correction=change.opts["correction"],
        reason=change.opts["reason"],
    )


def _refused(project: Project, step: Step) -> str:
    if project.stage == step.target:
        return _("the project is already at this stage")
    return _("a project cannot move from “%(from)s” to “%(to)s”") % {
        "from": Stage(project.stage).label,
        "to": Stage(step.target or project.stage).label,
    }


def _sources(to_stage: str) -> frozenset[str]:
    """Where a move to `to_stage` may start: forward along the map, or back as a correction."""
    return frozenset(
        s
        for s in Stage.values
        if s != to_stage and (stages.is_forward(s, to_stage) or stages.is_correction(s, to_stage))
    )


# The stage moves: one step per stage, named after the stage it leads to. Who may move a
# project is checked by the callers (the project page, the importers: `projects.access`).
STEPS = StepTable(
    model=Project,
    status_field="stage",
    error=TransitionError,
    refused=_refused,
    history=_stage_change,
    audit_note=lambda change: change.note,
    steps=[
        Step(stage.value, stage.label, _sources(stage.value), stage.value, _move, may=anyone)
        for stage in Stage
    ],
)


def allowed_moves(project: Project) -> list[str]:
    """Forward stages the project may move to now, in lifecycle order."""
    targets = stages.NEXT.get(project.stage, set())
    return [s for s in Stage.values if s in targets]


def _check_guarantees(project: Project, to_stage: str) -> None:
    """Refuse a forward move while guarantees feeding it are unmet (unless overridden): each
    of `stage_gates` may refuse it."""
    for gate in stage_gates:
        message = gate(project, to_stage)
        if message:
            raise TransitionError(message)


def merge_enterprise(keep: Enterprise, duplicate: Enterprise) -> None:
    """An enterprise merge (`enterprises.services.on_merge`): the duplicate's projects become
    the kept one's; as a partner, the kept one replaces it (unless it leads the project)."""
    Project.objects.filter(enterprise=duplicate).update(enterprise=keep)
    for project in Project.objects.filter(partners=duplicate):
        project.partners.remove(duplicate)
        if project.enterprise_id != keep.pk:
            project.partners.add(keep)
