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

A step writes only the fields it changed (and the row's `auto_now` fields). Many steps taken
together — a loader replaying a year of history, a bulk action — run inside `batch()`: the
rows it holds are locked once, every step works on them in memory, and their updates, history
rows and audit entries are written in bulk when the batch ends; its clock (`Batch.at`) is the
"now" the steps read (`now()`), and a quiet batch tells nobody (old history is not news).
"""

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, router, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.module_loading import import_string

from .audit import entry, snapshot
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
    before: dict[str, Any]  # the row's values before the step (what the write and audit compare)
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

    return StatusChange(
        content_type=ContentType.objects.get_for_model(change.obj),
        object_id=str(change.obj.pk),
        step=change.step.name,
        from_status=change.from_status,
        to_status=change.table.status_of(change.obj),
        actor=change.by if getattr(change.by, "pk", None) else None,
        note=change.note[:500],
    )


# ----------------------------------------------------------------------------- batches

_batch: ContextVar["Batch | None"] = ContextVar("guanjia_steps_batch", default=None)


class Batch:
    """Steps taken together in one transaction, written in bulk when it ends (`batch()`).

    - `hold(objs)`: rows the batch already holds (locked, or created in it): every step on
      one of them works on that instance in memory, with no lock query of its own; a row a
      step meets that is not held is locked and held then.
    - `at`: the batch's clock, what `now()` returns (None: the real time).
    - `quiet`: nobody is told of its steps (`Change.tell` and `telling()`).
    - `insert(row)`, `update(objs, fields)`, `after(fn)`: writes the batch makes at its end,
      in the order given (`after` runs last, when inserted rows have their ids).
    - `memo(key, make)`: one value per batch (the working calendar, not reloaded per step).

    A step refused inside a batch raises out of it, and the whole batch rolls back.
    """

    def __init__(self, *, at: dt.datetime | None = None, quiet: bool = False) -> None:
        self.at = at
        self.quiet = quiet
        self.held: dict[tuple[type[models.Model], Any], Any] = {}
        self._inserts: dict[type[models.Model], list[models.Model]] = {}
        self._with_ids: set[type[models.Model]] = set()
        self._updates: dict[type[models.Model], dict[Any, tuple[models.Model, set[str]]]] = {}
        self._after: list[Callable[[], Any]] = []
        self._memo: dict[str, Any] = {}
        self._ids: dict[type[models.Model], list[int]] = {}

    def hold(self, objs: Iterable[models.Model]) -> None:
        for obj in objs:
            self.held[(type(obj), obj.pk)] = obj

    def holding(self, obj: models.Model) -> Any:
        return self.held.get((type(obj), obj.pk))

    def insert(self, row: models.Model, *, with_id: bool = False) -> None:
        """Insert `row` at the end; `with_id`: its id is read afterwards (by an `after`)."""
        self._inserts.setdefault(type(row), []).append(row)
        if with_id:
            self._with_ids.add(type(row))

    def update(self, objs: Iterable[models.Model], fields: Iterable[str]) -> None:
        names = set(fields)
        for obj in objs:
            rows = self._updates.setdefault(type(obj), {})
            if obj.pk in rows:
                rows[obj.pk][1].update(names)
            else:
                rows[obj.pk] = (obj, set(names))

    def new_id(self, model: type[models.Model]) -> int:
        """An id for a new row of `model` the batch will insert (`insert`): reserved now, so
        the steps that follow can name the row before it is written. PostgreSQL hands them
        out from the table's sequence; SQLite's write lock, held by the batch's transaction,
        makes the next ones after the highest ours."""
        free = self._ids.setdefault(model, [])
        if not free:
            connection = connections[router.db_for_write(model)]
            table, column = model._meta.db_table, str(model._meta.pk.column)
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                        "FROM generate_series(1, 500)",
                        [table, column],
                    )
                    free.extend(row[0] for row in cursor.fetchall())
                else:
                    quote = connection.ops.quote_name
                    last = self._memo.get(f"_last_id:{table}")
                    if last is None:
                        cursor.execute(f"SELECT MAX({quote(column)}) FROM {quote(table)}")  # noqa: S608
                        last = cursor.fetchone()[0] or 0
                    free.extend(range(last + 1, last + 501))
                    self._memo[f"_last_id:{table}"] = last + 500
        return free.pop(0)

    def after(self, fn: Callable[[], Any]) -> None:
        self._after.append(fn)

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def flush(self) -> None:
        """Write what the batch holds: updated rows, then new rows (in order), then `after`."""
        new_rows = {id(row) for rows in self._inserts.values() for row in rows}
        for model, rows in self._updates.items():
            by_fields: dict[frozenset[str], list[models.Model]] = {}
            for obj, names in rows.values():
                if id(obj) not in new_rows:  # a row inserted at the end is written as it is
                    by_fields.setdefault(frozenset(names), []).append(obj)
            for fieldset, objs in by_fields.items():
                _update_rows(model, objs, sorted(fieldset))
        for model, new in self._inserts.items():
            if model in self._with_ids:
                model._default_manager.bulk_create(new, batch_size=1000)
            else:
                _insert_rows(model, new)
        for fn in self._after:
            fn()
        self._updates, self._inserts, self._after = {}, {}, []


def _update_rows(model: type[models.Model], objs: list[models.Model], names: list[str]) -> None:
    """UPDATE `names` of each row, one statement run for all of them (executemany): what
    `bulk_update` does with one CASE per field, without building it (minutes, at 20,000
    rows)."""
    _execute_many(model, *_update_sql(model, objs, names))


def _insert_rows(model: type[models.Model], objs: list[models.Model]) -> None:
    """INSERT the rows with one statement run for all (executemany): `bulk_create` without
    compiling SQL per row, and without reading the new ids back."""
    meta = model._meta
    # The primary key is the database's, unless the batch reserved them (`Batch.new_id`).
    with_ids = objs[0].pk is not None
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(str(f.column)) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    _execute_many(model, sql, rows)
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def _execute_many(model: type[models.Model], sql: str, rows: list[list[Any]]) -> None:
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])


def _update_sql(
    model: type[models.Model], objs: list[models.Model], names: list[str]
) -> tuple[str, list[list[Any]]]:
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f.attname in names]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    # Identifiers come from the model and are quoted; the values go as parameters.
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(f"{quote(str(f.column))} = %s" for f in fields),
        quote(str(meta.pk.column)),
    )
    rows = [
        [*(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields), obj.pk]
        for obj in objs
    ]
    return sql, rows


@contextmanager
def batch(*, at: dt.datetime | None = None, quiet: bool = False) -> Iterator[Batch]:
    """Take many steps in one transaction and write them in bulk at the end (see `Batch`)."""
    if _batch.get() is not None:
        raise RuntimeError("a batch of steps is already open")
    with transaction.atomic():
        current = Batch(at=at, quiet=quiet)
        token = _batch.set(current)
        try:
            yield current
            current.flush()
        finally:
            _batch.reset(token)


def atomic() -> Any:
    """The transaction of a mutation that is not a step (a submission): its own savepoint,
    or, inside a batch (one transaction that fails whole), none."""
    return transaction.atomic(savepoint=_batch.get() is None)


def current_batch() -> Batch | None:
    """The open batch, if steps are being taken in one."""
    return _batch.get()


def now() -> dt.datetime:
    """The moment the steps take place: the open batch's clock, else the real time."""
    current = _batch.get()
    return current.at if current is not None and current.at is not None else timezone.now()


def telling() -> bool:
    """Whether steps tell people now (not inside a quiet batch)."""
    current = _batch.get()
    return current is None or not current.quiet


def memo(key: str, make: Callable[[], Any]) -> Any:
    """`make()`, once per open batch (every time outside one)."""
    current = _batch.get()
    return current.memo(key, make) if current is not None else make()


def insert(row: models.Model, *, with_id: bool = False) -> models.Model:
    """Save a new row now, or with the open batch (`with_id`: its id is needed then)."""
    current = _batch.get()
    if current is not None:
        current.insert(row, with_id=with_id)
    else:
        row.save(force_insert=True)
    return row


def update(objs: Sequence[models.Model], fields: Iterable[str]) -> None:
    """Write `fields` of `objs` now (one bulk UPDATE), or with the open batch."""
    current = _batch.get()
    if current is not None:
        current.update(objs, fields)
    elif len(objs) == 1:
        objs[0].save(update_fields=list(fields))
    elif objs:
        # What `bulk_update` writes, without its CASE per field and row (most of the
        # escalation sweep's CPU at 200 rows a batch): one statement run for all.
        _update_rows(type(objs[0]), list(objs), list(fields))


def insert_many(objs: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """Insert new rows now, one statement run for all, or with the open batch: `bulk_create`
    without compiling SQL per row (no signals either). `with_ids`: the rows get their ids
    (reserved from the table's sequence first on PostgreSQL; read back on SQLite)."""
    current = _batch.get()
    if current is not None:
        for obj in objs:
            current.insert(obj, with_id=with_ids)
    else:
        insert_now(objs, with_ids=with_ids)


def insert_now(objs: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """`insert_many` now, even inside a batch of steps."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if with_ids and connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=1000)
        return
    if connection.vendor != "postgresql":
        _insert_rows(model, list(objs))
        return
    if with_ids:
        for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
            obj.pk = pk
    _copy_rows(model, list(objs))


def _copy_rows(model: type[models.Model], objs: list[models.Model]) -> None:
    """`_insert_rows` with PostgreSQL's COPY: one statement, the rows streamed."""
    meta = model._meta
    with_ids = objs[0].pk is not None
    fields = [f for f in meta.concrete_fields if with_ids or not f.primary_key]
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    # Plain values go as they are; the rest through the field's own preparation.
    kinds = [(f, _as_is(f)) for f in fields]
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(meta.db_table), ", ".join(quote(str(f.column)) for f in fields)
    )
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for obj in objs:
            copy.write_row([_copy_value(obj, f, as_is, connection) for f, as_is in kinds])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


# Field classes (exactly these, not subclasses) that leave None or a value of these types as
# it is when preparing it for the database.
_AS_IS: dict[type[models.Field], type] = {
    models.AutoField: int,
    models.BigAutoField: int,
    models.BigIntegerField: int,
    models.BooleanField: bool,
    models.CharField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.SmallIntegerField: int,
    models.TextField: str,
}


def _as_is(f: models.Field) -> type | None:
    """The type of value `f` writes unchanged (None: always prepare it)."""
    if type(f) is models.ForeignKey:
        return _as_is(f.target_field)
    return _AS_IS.get(type(f))


def _copy_value(obj: models.Model, f: models.Field, as_is: type | None, connection: Any) -> Any:
    if as_is is not None:
        value = getattr(obj, f.attname)
        if value is None or type(value) is as_is:
            return value
    return f.get_db_prep_save(f.pre_save(obj, True), connection)


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """`n` new ids of `model` from its table's sequence, in order (PostgreSQL)."""
    connection = connections[router.db_for_write(model)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, str(model._meta.pk.column), n],
        )
        return [row[0] for row in cursor.fetchall()]


def _refused(change_obj: Any, step: Step, table: "StepTable") -> str:
    return f"“{step.label}” is not possible from “{table.status_of(change_obj)}”."


@dataclass
class StepTable:
    """The steps of one model. Hooks (all optional) adapt the engine to a domain:

    - `lock(obj)`: the locked fresh row (default: select_for_update on the pk);
    - `error`: the domain's error class; `refused(obj, step)` its message for a wrong status;
    - `save(change)`: prepare the row before the engine writes the fields the step changed
      (reschedule a clock, validate);
    - `history(change)`: the domain's own timeline row, unsaved: the engine writes it
      (default: a `StatusChange`);
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


def adopt(target: models.Model, row: models.Model) -> None:
    """Bring `target` (the caller's copy, with the related objects it was read with) up to
    the row a step wrote (`Change.obj`, the locked copy): its column values, so an answer is
    built from the objects in hand rather than read back. A reference whose id changed drops
    its cached object (Django does that on assignment) and is read when used."""
    if target is row:
        return
    for column in target._meta.concrete_fields:
        setattr(target, column.attname, getattr(row, column.attname))


def run(table: StepTable, name: str, obj: Any, actor: Any, **fields: Any) -> Change:
    """Take step `name` on `obj` as `actor` (None: the system). Returns the `Change`:
    `.obj` the saved row, `.result` what the step's function returned (else the row),
    `.record` the history row."""
    current = _batch.get()
    if current is not None:
        return _take(table, name, obj, actor, fields, current)
    with transaction.atomic():
        return _take(table, name, obj, actor, fields, None)


def _take(
    table: StepTable, name: str, obj: Any, actor: Any, fields: dict[str, Any], current: Any
) -> Change:
    locked = current.holding(obj) if current is not None else None
    if locked is None:
        locked = (
            table.lock(obj)
            if table.lock
            else type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        )
        if current is not None:
            current.hold([locked])
    step = check(table, name, locked, actor)
    start = table.status_of(locked)
    change = Change(
        table=table,
        step=step,
        obj=locked,
        actor=actor,
        start=start,
        before=_raw(locked),
        from_status=start,
    )
    result = step.apply(change, **fields)
    end = table.status_of(change.obj)
    assert step.leads_to(start, end), (
        f"{table.model.__name__}.{name} led from {start!r} to {end!r}, against its declaration"
    )
    _save(change)
    change.result = change.obj if result is None else result
    if current is None or not current.quiet:
        for notice in change.notices:
            notice()
    return change


_COLUMNS: dict[type[models.Model], tuple[list[str], list[Any]]] = {}


def _columns(model: type[models.Model]) -> tuple[list[str], list[Any]]:
    """The row's writable attribute names, and its `auto_now` fields (looked up once)."""
    if model not in _COLUMNS:
        concrete = model._meta.concrete_fields
        _COLUMNS[model] = (
            [f.attname for f in concrete if not f.primary_key],
            [f for f in concrete if getattr(f, "auto_now", False)],
        )
    return _COLUMNS[model]


def _plain(value: Any) -> Any:
    """A value to compare later: what a step may change in place (a stored file's name, a
    JSON dict or list) is copied now."""
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, dict | list):
        return copy.deepcopy(value)
    return value


def _raw(obj: Any) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in _columns(type(obj))[0]}


def _write(obj: Any, before: dict[str, Any]) -> set[str]:
    """Write the fields of `obj` that changed since `before` (and its `auto_now` fields);
    returns the names of those that changed."""
    attnames, stamped = _columns(type(obj))
    changed = {name for name in attnames if before.get(name) != _plain(getattr(obj, name))}
    names = changed | {f.attname for f in stamped}
    current = _batch.get()
    if current is not None:
        for f in stamped:  # what `save()` would have stamped
            setattr(obj, f.attname, f.pre_save(obj, add=False))
        current.update([obj], names)
    elif names:
        obj.save(update_fields=names)
    return changed - {f.attname for f in stamped}


def _save(change: Change) -> None:
    """Write the row, the audit entry and the history row of one move of `change`. The
    table's `save` hook prepares the row (a clock to reschedule, a check); the engine writes
    the fields the step changed."""
    table = change.table
    if table.save:
        table.save(change)
    changed = _write(change.obj, change.before)
    if changed or table.audit_unchanged:
        _audit(change, changed)
    change.record = insert(table.history(change) if table.history else _status_change(change))


def _audit(change: Change, changed: set[str]) -> None:
    table = change.table
    before, after = (
        snapshot(change.obj, only=changed, values=change.before),
        snapshot(change.obj, only=changed),
    )
    insert(
        entry(
            change.by,
            table.audit_action,
            change.obj,
            before=before,
            after=after,
            # The step's label (in the language of the one who took it, like every note the
            # services write), not its name: the history shows it to people.
            note=table.audit_note(change)
            if table.audit_note
            else (change.note or str(change.step.label)),
        )
    )


def record_move(change: Change) -> Any:
    """For a step that makes two moves (a rating that reopens a request): save, audit and
    record the first now; the engine records the second. Returns the first history row."""
    _save(change)
    first = change.record
    change.before = _raw(change.obj)
    change.from_status = change.table.status_of(change.obj)
    change.note, change.data = "", {}
    return first
