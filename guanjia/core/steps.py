"""The step engine: every status change of a record is a declared step, taken by `run`.

A `Step` is data: its name and label, the statuses it may start from, the status it leads to
(or None: it stays, or the step decides among `outcomes`), who may take it, the fields it takes
and the function that does its work. A `StepTable` holds a model's steps. `run` takes one:

1. opens a transaction and locks the row (SELECT … FOR UPDATE);
2. checks the people side (`may`; actor None is the system: the sweeps, the loaders) and the
   status side (`sources`), raising the domain's own error with the message users know;
3. calls the step's `apply(change, **fields)`, which changes `change.obj` in memory;
4. checks the status it left matches the declaration (a wrong table is a bug: AssertionError);
5. saves, audits (`core.audit.record`), writes the history row (the table's own timeline hook,
   else a generic `StatusChange`), then tells people (`change.tell`) and schedules what must
   wait for the commit (`change.on_commit`).

Notices run inside the transaction, after the history row: `notifications.notify` writes the
inbox rows with the step (a rolled-back step tells nobody) and sends email and webhooks on
commit. Work that must only start once the step is committed goes to `change.on_commit`.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.module_loading import import_string

from .audit import record, snapshot
from .models import AuditAction

Check = Callable[[Any, Any], bool]


def system_only(user: Any, obj: Any) -> bool:
    """`may` of the steps no person takes (the sweep's): only `run(…, actor=None)`."""
    return False


def anyone(user: Any, obj: Any) -> bool:
    """`may` of the steps whose callers check access themselves (the page, the importer)."""
    return True


@dataclass(frozen=True)
class Field:
    """One input of a step. `ref`: it names another record (the API takes `<name>_id`)."""

    name: str
    required: bool = False
    ref: bool = False

    @property
    def api_name(self) -> str:
        return f"{self.name}_id" if self.ref else self.name


@dataclass(frozen=True)
class Step:
    """One step of a lifecycle, as data."""

    name: str
    label: Any  # a lazy gettext string
    sources: frozenset[str]
    target: str | None  # None: the status stays, or the step picks one of `outcomes`
    apply: Callable[..., Any]
    may: Check | str = anyone  # a callable, or the dotted path of one in the app's access rules
    fields: tuple[Field, ...] = ()
    outcomes: frozenset[str] = frozenset()  # when `target` is None: where the step may lead
    event: str = ""  # the domain timeline's kind for this step (default: the step's name)
    done: Any = ""  # the page's success message (lazy gettext)
    files: bool = False  # the page takes attachments with it
    confirm: bool = False  # destructive: the page asks for a ticked confirmation

    @property
    def kind(self) -> str:
        return self.event or self.name

    def allows(self, user: Any, obj: Any) -> bool:
        """The people side: an active user whom the step's rule lets take it on `obj`."""
        check = import_string(self.may) if isinstance(self.may, str) else self.may
        return bool(getattr(user, "is_active", False) and check(user, obj))

    def leads_to(self, start: str, end: str) -> bool:
        """The status side's promise: where a step begun at `start` may end."""
        if self.target is not None:
            return end == self.target
        return end == start or end in self.outcomes


@dataclass
class Change:
    """One step being taken: what `apply` and the hooks read and fill in."""

    table: "StepTable"
    step: Step
    obj: Any
    actor: Any
    start: str  # the status the step began at (what the target is checked against)
    before: dict[str, Any]  # the row's snapshot before the step (what the audit compares)
    from_status: str  # the history row's "from" (a step recording two moves resets it)
    result: Any = None  # what the public function returns (default: the record)
    record: Any = None  # the history row written
    note: str = ""  # for the audit entry and the history row
    data: dict[str, Any] = field(default_factory=dict)
    at: Any = None
    recorded_by: Any = ...  # who the audit and history name (default: the actor)
    notices: list[Callable[[], Any]] = field(default_factory=list)
    opts: dict[str, Any] = field(default_factory=dict)  # free room for the table's hooks

    def tell(self, notice: Callable[[], Any]) -> None:
        """Run `notice` once the step is saved and recorded (still inside its transaction)."""
        self.notices.append(notice)

    def on_commit(self, later: Callable[[], Any]) -> None:
        """Run `later` once the step's transaction commits (never if it rolls back)."""
        transaction.on_commit(later, robust=True)

    @property
    def by(self) -> Any:
        return self.actor if self.recorded_by is ... else self.recorded_by


def _status_change(change: Change) -> Any:
    from django.contrib.contenttypes.models import ContentType

    from .models import StatusChange

    return StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(change.obj),
        object_id=str(change.obj.pk),
        step=change.step.name,
        from_status=change.from_status,
        to_status=change.table.status_of(change.obj),
        actor=change.by if getattr(change.by, "pk", None) else None,
        note=change.note[:500],
    )


def _refused(change_obj: Any, step: Step, table: "StepTable") -> str:
    return f"“{step.label}” is not possible from “{table.status_of(change_obj)}”."


@dataclass
class StepTable:
    """The steps of one model. Hooks (all optional) adapt the engine to a domain:

    - `lock(obj)`: the locked fresh row (default: select_for_update on the pk);
    - `error`: the domain's error class; `refused(obj, step)` its message for a wrong status;
    - `save(change)`: write the row (default: `obj.save()`);
    - `history(change)`: write the domain's own timeline row (default: a `StatusChange`);
    - `audit_note(change)`, `audit_action`: how the audit entry reads.
    """

    model: type[models.Model]
    steps: Iterable[Step]
    status_field: str = "status"
    error: type[Exception] = ValidationError
    refused: Callable[[Any, Step], str] | None = None
    lock: Callable[[Any], Any] | None = None
    save: Callable[[Change], None] | None = None
    history: Callable[[Change], Any] | None = None
    audit_note: Callable[[Change], str] | None = None
    audit_action: str = AuditAction.TRANSITION
    audit_unchanged: bool = True  # audit a step that changed no field (a note) too

    by_name: dict[str, Step] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name = {step.name: step for step in self.steps}
        choices = {value for value, _label in self.model._meta.get_field(self.status_field).choices}  # type: ignore[union-attr]
        for step in self.by_name.values():
            ends = {*step.sources, *step.outcomes, *([step.target] if step.target else [])}
            unknown = ends - choices
            assert not unknown, f"{self.model.__name__}.{step.name}: unknown statuses {unknown}"

    def __getitem__(self, name: str) -> Step:
        return self.by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name

    def __iter__(self) -> Iterator[Step]:
        return iter(self.by_name.values())

    def names(self) -> list[str]:
        return list(self.by_name)

    def status_of(self, obj: Any) -> str:
        return getattr(obj, self.status_field)

    def possible(self, obj: Any) -> list[Step]:
        """The steps the status side allows now, in table order."""
        return [s for s in self if self.status_of(obj) in s.sources]

    def allowed(self, user: Any, obj: Any) -> list[Step]:
        """The steps `user` may take on `obj` now (both sides)."""
        return [s for s in self.possible(obj) if s.allows(user, obj)]

    def refusal(self, obj: Any, step: Step) -> Exception:
        """The domain's error for a step its status does not allow."""
        message = self.refused(obj, step) if self.refused else _refused(obj, step, self)
        return self.error(message)


def check(table: StepTable, name: str, obj: Any, actor: Any) -> Step:
    """Both sides of `name` on `obj` (as it is in memory): PermissionDenied, or the domain's
    error saying why the status does not allow it. Returns the step."""
    step = table[name]
    if actor is not None and not step.allows(actor, obj):
        raise PermissionDenied(name)
    if table.status_of(obj) not in step.sources:
        raise table.refusal(obj, step)
    return step


def run(table: StepTable, name: str, obj: Any, actor: Any, **fields: Any) -> Change:
    """Take step `name` on `obj` as `actor` (None: the system). Returns the `Change`:
    `.obj` the saved row, `.result` what the step's function returned (else the row),
    `.record` the history row."""
    with transaction.atomic():
        locked = (
            table.lock(obj)
            if table.lock
            else type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        )
        step = check(table, name, locked, actor)
        start = table.status_of(locked)
        change = Change(
            table=table,
            step=step,
            obj=locked,
            actor=actor,
            start=start,
            before=snapshot(locked),
            from_status=start,
        )
        result = step.apply(change, **fields)
        end = table.status_of(change.obj)
        assert step.leads_to(start, end), (
            f"{table.model.__name__}.{name} led from {start!r} to {end!r}, against its declaration"
        )
        _save(change)
        change.result = change.obj if result is None else result
        for notice in change.notices:
            notice()
        return change


def _save(change: Change) -> None:
    """Write the row, the audit entry and the history row of one move of `change`."""
    table = change.table
    if table.save:
        table.save(change)
    else:
        change.obj.save()
    after = snapshot(change.obj)
    changed = {k for k in after if change.before.get(k) != after.get(k)} - {"updated_at"}
    if changed or table.audit_unchanged:
        _audit(change, changed, after)
    change.record = table.history(change) if table.history else _status_change(change)


def _audit(change: Change, changed: set[str], after: dict[str, Any]) -> None:
    table = change.table
    record(
        change.by,
        table.audit_action,
        change.obj,
        before={k: change.before.get(k) for k in changed},
        after={k: after[k] for k in changed},
        note=table.audit_note(change) if table.audit_note else (change.note or change.step.name),
    )


def record_move(change: Change) -> Any:
    """For a step that makes two moves (a rating that reopens a request): save, audit and
    record the first now; the engine records the second. Returns the first history row."""
    _save(change)
    first = change.record
    change.before = snapshot(change.obj)
    change.from_status = change.table.status_of(change.obj)
    change.note, change.data = "", {}
    return first
