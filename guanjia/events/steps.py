"""The lifecycles of running an event, as steps of the step engine (`guanjia.core.steps`):

- an event: 筹备 (in preparation) → 进行中 (under way) → 已结束 (finished);
- a guest: 已邀请 → 已接受 / 已谢绝 (RSVP), and 已签到 (checked in on the day, by QR code or from
  the list; a walk-in is added and checked in at once). Checking in records the enterprise
  among the event's participants, which the headline figures count (the counting rule is
  unchanged: figures count participants, not invitations);
- a signing list row: 拟签 → 已签 (confirmed at the ceremony: records the `Signing` the
  counting rule reads) / 未签 (not signed; may be put back to 拟签).
"""

from typing import Any

from django.utils.translation import gettext_lazy

from guanjia.core.steps import Change, Step, StepTable, now

from .models import Event, EventStatus, Guest, GuestStatus, RowStatus, SigningListRow

E, G, R = EventStatus, GuestStatus, RowStatus


def _to(status: str) -> Any:
    def apply(change: Change, **fields: Any) -> None:
        change.obj.status = status

    return apply


def _check_in(change: Change, at: Any = None, **fields: Any) -> None:
    guest: Guest = change.obj
    guest.status = G.CHECKED_IN
    guest.checked_in_at = at or now()  # a batch replaying a day checks in on its clock
    guest.checked_in_by = change.actor if getattr(change.actor, "pk", None) else None
    guest.event.participants.add(guest.enterprise_id)
    change.note = str(gettext_lazy("checked in; recorded as a participant"))


def _confirm(change: Change, **fields: Any) -> None:
    from .services import record_signing

    row: SigningListRow = change.obj
    event = row.event
    signing = record_signing(
        change.actor,
        project=row.project,
        government=row.government,
        signed_on=fields.get("signed_on") or event.date,
        amount_wan=row.amount_wan,
        event=event,
        enterprises=list(row.enterprises.all()) or None,
        note=str(gettext_lazy("signing list row %(n)s") % {"n": row.position}),
    )
    row.signing = signing
    row.status = R.SIGNED


EVENT_STEPS = StepTable(
    model=Event,
    steps=[
        Step(
            "start",
            gettext_lazy("start the event"),
            frozenset({E.PLANNING}),
            E.ONGOING,
            _to(E.ONGOING),
            may="guanjia.events.access.may_run_event",
        ),
        Step(
            "finish",
            gettext_lazy("close the event"),
            frozenset({E.PLANNING, E.ONGOING}),
            E.FINISHED,
            _to(E.FINISHED),
            may="guanjia.events.access.may_run_event",
        ),
        Step(
            "reopen",
            gettext_lazy("reopen the event"),
            frozenset({E.FINISHED}),
            E.ONGOING,
            _to(E.ONGOING),
            may="guanjia.events.access.may_run_event",
        ),
    ],
)

GUEST_STEPS = StepTable(
    model=Guest,
    steps=[
        Step(
            "accept",
            gettext_lazy("accepted"),
            frozenset({G.INVITED, G.DECLINED}),
            G.ACCEPTED,
            _to(G.ACCEPTED),
            may="guanjia.events.access.may_run_guest",
        ),
        Step(
            "decline",
            gettext_lazy("declined"),
            frozenset({G.INVITED, G.ACCEPTED}),
            G.DECLINED,
            _to(G.DECLINED),
            may="guanjia.events.access.may_run_guest",
        ),
        Step(
            "check_in",
            gettext_lazy("check in"),
            frozenset({G.INVITED, G.ACCEPTED, G.DECLINED}),
            G.CHECKED_IN,
            _check_in,
            may="guanjia.events.access.may_run_guest",
        ),
    ],
)

ROW_STEPS = StepTable(
    model=SigningListRow,
    steps=[
        Step(
            "confirm",
            gettext_lazy("signed"),
            frozenset({R.PLANNED}),
            R.SIGNED,
            _confirm,
            may="guanjia.events.access.may_run_row",
        ),
        Step(
            "not_signed",
            gettext_lazy("not signed"),
            frozenset({R.PLANNED}),
            R.NOT_SIGNED,
            _to(R.NOT_SIGNED),
            may="guanjia.events.access.may_run_row",
        ),
        Step(
            "replan",
            gettext_lazy("back to planned"),
            frozenset({R.NOT_SIGNED}),
            R.PLANNED,
            _to(R.PLANNED),
            may="guanjia.events.access.may_run_row",
        ),
    ],
)
