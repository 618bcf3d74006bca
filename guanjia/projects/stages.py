"""The project lifecycle as data: stages in order and the moves allowed between them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    NEGOTIATING = "negotiating", _("Negotiating")
    SIGNED = "signed", _("Signed")
    REGISTERED = "registered", _("Registered")
    APPROVALS = "approvals", _("Approvals")
    CONSTRUCTION = "construction", _("Under construction")
    OPERATION = "operation", _("In operation")
    FULL_CAPACITY = "full_capacity", _("At full capacity")
    WITHDRAWN = "withdrawn", _("Withdrawn")


LINE: list[str] = [
    Stage.LEAD,
    Stage.NEGOTIATING,
    Stage.SIGNED,
    Stage.REGISTERED,
    Stage.APPROVALS,
    Stage.CONSTRUCTION,
    Stage.OPERATION,
    Stage.FULL_CAPACITY,
]
ORDER: dict[str, int] = {stage: i for i, stage in enumerate(LINE)}

# Forward moves. A signing may come straight from a lead (signed at a conference), and a
# project can register with its approvals already in hand; anything else goes step by step.
# Going back is a correction (any earlier stage, with a reason), not a move in this map.
NEXT: dict[str, set[str]] = {
    Stage.LEAD: {Stage.NEGOTIATING, Stage.SIGNED, Stage.WITHDRAWN},
    Stage.NEGOTIATING: {Stage.SIGNED, Stage.WITHDRAWN},
    Stage.SIGNED: {Stage.REGISTERED, Stage.WITHDRAWN},
    Stage.REGISTERED: {Stage.APPROVALS, Stage.CONSTRUCTION, Stage.WITHDRAWN},
    Stage.APPROVALS: {Stage.CONSTRUCTION, Stage.WITHDRAWN},
    Stage.CONSTRUCTION: {Stage.OPERATION, Stage.WITHDRAWN},
    Stage.OPERATION: {Stage.FULL_CAPACITY, Stage.WITHDRAWN},
    Stage.FULL_CAPACITY: {Stage.WITHDRAWN},
    Stage.WITHDRAWN: set(),
}

# The field that stamps the date a project reached each stage.
DATE_FIELD = {stage: f"{stage}_on" for stage in Stage.values}

# Chinese labels other offices write in their spreadsheets, for the importer.
ALIASES: dict[str, list[str]] = {
    Stage.LEAD: ["线索", "项目线索", "洽谈线索"],
    Stage.NEGOTIATING: ["在谈", "洽谈", "洽谈中", "在谈项目"],
    Stage.SIGNED: ["签约", "已签约", "签约项目"],
    Stage.REGISTERED: ["注册落地", "注册", "已注册", "落地", "已落地"],
    Stage.APPROVALS: ["手续办理", "办理手续", "前期手续"],
    Stage.CONSTRUCTION: ["开工", "在建", "已开工", "建设中", "开工建设"],
    Stage.OPERATION: ["投产", "已投产", "并网", "运营"],
    Stage.FULL_CAPACITY: ["达产", "已达产", "全容量并网"],
    Stage.WITHDRAWN: ["终止", "已终止", "退出"],
}


def is_forward(from_stage: str, to_stage: str) -> bool:
    return to_stage in NEXT.get(from_stage, set())


def is_correction(from_stage: str, to_stage: str) -> bool:
    """Back to an earlier stage on the line, or out of withdrawn."""
    if to_stage == Stage.WITHDRAWN or from_stage == to_stage:
        return False
    if from_stage == Stage.WITHDRAWN:
        return True
    return ORDER[to_stage] < ORDER[from_stage]


def reached(stage: str) -> list[str]:
    """The stages a project at `stage` has passed through or reached, on the line."""
    if stage == Stage.WITHDRAWN:
        return []
    return LINE[: ORDER[stage] + 1]
