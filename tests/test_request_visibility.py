"""What each role sees of a request's timeline, kind by kind, on every channel.

One request is taken through every step of the loop, so that its timeline holds an entry of
every `EventKind` (a kind the walk does not produce fails it). Every text staff write on a
routing step or as an internal note is marked "内部：先别告诉企业"; what the city writes for
the enterprise is marked "进展". The walk then checks, role × kind × channel — the request
page, the JSON API, Open311, notifications (and their webhooks) and the Excel export — that
each role sees the entry and reads its text exactly when `EXPECTED` says so, and that the
internal phrase never reaches the enterprise contact. `EXPECTED` is this test's own copy of
`models.TIMELINE`: loosening the model's table without changing the test fails it.
"""

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from python_calamine import CalamineWorkbook

from guanjia.accounts.models import ApiToken, Role
from guanjia.core.models import AuditEntry
from guanjia.notifications.models import Notification, WebhookDelivery, WebhookEndpoint
from guanjia.requests import access, attachments, escalation, services
from guanjia.requests.loading import load_categories
from guanjia.requests.models import (
    INTERNAL_EVENTS,
    TIMELINE,
    Attachment,
    Audience,
    Category,
    EventKind,
    Rating,
    RequestEvent,
    ServiceRequest,
)
from guanjia.testing.factories import ProjectFactory, UserFactory
from guanjia.worktime.loading import load_holidays

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
SECRET = "内部：先别告诉企业"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

E, S = "enterprise too", "staff only"
# Kind → (who sees that it happened, who reads its text and files). Staff: every role but the
# enterprise contact, within the requests access lets them see.
EXPECTED: dict[str, tuple[str, str]] = {
    "submit": (E, E),
    "accept": (E, S),
    "dispatch": (E, S),  # "dispatched to 自然资源局", without the steward's note
    "sign": (E, S),
    "transfer": (E, S),
    "bounce": (S, S),
    "arbitrate": (S, S),
    "ask_info": (E, E),
    "give_info": (E, E),
    "note": (E, E),
    "internal_note": (S, S),
    "reply": (E, E),
    "close": (E, E),
    "rate": (E, E),
    "reopen": (E, E),
    "revisit": (E, E),
    "withdraw": (E, E),
    "extension_asked": (S, S),
    "extension_decided": (S, S),
    "supervise": (S, S),
    "remind": (S, S),
    "escalate": (S, S),
    "merge": (E, E),  # on a duplicate: "merged into ZT…", with the note to the enterprise
    "merged_in": (E, E),  # on the request that takes a duplicate in
    "press": (E, E),  # the enterprise's own 催办 and its words
    "claim": (E, S),  # claimed from a department's queue: a sign-for
    "assist": (S, S),  # co-handling (协办) is the government's inside work
    "part_sign": (S, S),
    "part_reply": (S, S),
    "part_decline": (S, S),
}
# Kinds whose text is news of progress: Open311's status_notes and the export's column.
PROGRESS = {"ask_info", "note", "internal_note", "reply", "close", "revisit", "withdraw", "merge"}
# Kinds the walked request cannot carry, as it ends withdrawn: they end another request (a
# duplicate merged into the walked one), and tests/test_request_next_steps.py shows them.
ELSEWHERE = {"merge"}

ROLES = ["admin", "official", "steward", "handler", "handler2", "leader", "enterprise"]
STAFF = [r for r in ROLES if r != "enterprise"]


def sees(role: str, kind: str) -> bool:
    return role != "enterprise" or EXPECTED[kind][0] == E


def reads(role: str, kind: str) -> bool:
    return role != "enterprise" or EXPECTED[kind][1] == E


def internal(kind: str) -> str:
    return f"{SECRET}（{kind}）"


def public(kind: str) -> str:
    return f"进展（{kind}）"


# --- the table itself ---------------------------------------------------------------------


def test_every_event_kind_has_a_decision_and_the_model_keeps_it():
    assert set(EXPECTED) == set(EventKind.values), "decide who sees the new kind in EXPECTED"
    assert set(TIMELINE) == set(EventKind.values), "…and in models.TIMELINE"
    for kind in EventKind:
        shown = TIMELINE[kind]
        entry, note = EXPECTED[kind]
        assert shown.entry == (Audience.EVERYONE if entry == E else Audience.STAFF), kind
        assert shown.note == (Audience.EVERYONE if note == E else Audience.STAFF), kind
        # An entry the enterprise does not see has no text it may read.
        assert not (shown.entry == Audience.STAFF and shown.note == Audience.EVERYONE), kind
        assert shown.progress == (kind in PROGRESS), kind
    assert {k for k, (entry, _note) in EXPECTED.items() if entry == S} == INTERNAL_EVENTS


# --- the walk -----------------------------------------------------------------------------


@dataclass
class Walk:
    """The request, the people, and the timeline as it grew step by step."""

    sr: ServiceRequest
    people: dict
    keys: dict
    steps: list[tuple[str, list[RequestEvent]]] = field(default_factory=list)

    def events(self) -> list[RequestEvent]:
        return list(RequestEvent.objects.filter(request=self.sr).order_by("at", "id"))

    def seeing(self) -> list[str]:
        """The roles that may see the request now (the handlers only once it is theirs)."""
        return [
            role
            for role in ROLES
            if access.requests_for(self.people[role]).filter(pk=self.sr.pk).exists()
        ]

    def role_of(self, user_id: int) -> str | None:
        return next((r for r, u in self.people.items() if u.pk == user_id), None)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TZ)


@pytest.fixture
def people(users, linghai, own_enterprise, settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    load_categories()
    load_holidays([2026])
    steward = UserFactory(username="s_linghai", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    handler = users["handler"]  # 自然资源局, city level
    handler2 = UserFactory(
        username="t_handler2",
        role=Role.HANDLER,
        region=handler.region,
        department=handler.department,
    )
    WebhookEndpoint.objects.create(name="政务短信平台", url="https://sms.example/hook", secret="s")
    return {**users, "steward": steward, "handler2": handler2}


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def walk(people, after: Callable[[Walk, str, list[RequestEvent]], None] | None = None) -> Walk:
    """Take one request through every step; `after` looks at the channels after each."""
    p = people
    clock = [at(2026, 3, 2, 9, 0)]  # a Monday

    def step(label: str, action: Callable[[], object], minutes: int = 10) -> None:
        seen = {e.pk for e in w.events()}
        with time_machine.travel(clock[0], tick=False):
            action()
            w.sr.refresh_from_db()
            added = [e for e in w.events() if e.pk not in seen]
            w.steps.append((label, added))
            if after is not None:
                after(w, label, added)
        clock[0] += dt.timedelta(minutes=minutes)

    with time_machine.travel(clock[0], tick=False):
        sr = services.submit(
            p["enterprise"],
            enterprise=p["enterprise"].enterprise,
            category=Category.objects.get(code="land"),
            title="规划条件迟迟未出",
            text="项目已摘地三个月，规划条件仍未出具。",
            project=ProjectFactory(
                enterprise=p["enterprise"].enterprise, region=p["official"].region
            ),
        )
    keys = {role: ApiToken.issue(user)[1] for role, user in p.items() if role in ROLES}
    w = Walk(sr=sr, people={r: p[r] for r in ROLES}, keys=keys)
    w.steps.append(("submit", w.events()))
    if after is not None:
        with time_machine.travel(clock[0], tick=False):
            after(w, "submit", w.events())
    clock[0] += dt.timedelta(minutes=5)

    def sr_() -> ServiceRequest:
        return ServiceRequest.objects.get(pk=w.sr.pk)

    step("accept", lambda: services.accept(sr_(), p["steward"], internal("accept")))
    step(
        "dispatch",
        lambda: services.dispatch(sr_(), p["steward"], to=p["handler"], note=internal("dispatch")),
    )

    # Not signed for: the sweep reminds the handler, then escalates to the area.
    def sweep() -> None:
        while not RequestEvent.objects.filter(request=w.sr, kind=EventKind.ESCALATE).exists():
            moment = sr_().next_mark_at + dt.timedelta(minutes=1)
            with time_machine.travel(moment, tick=False):
                escalation.sweep(moment)
            clock[0] = moment + dt.timedelta(minutes=5)

    step("sweep", sweep)
    step("press", lambda: services.press(sr_(), p["enterprise"], public("press")))
    step(
        "transfer",
        lambda: services.transfer(sr_(), p["handler"], to=p["handler2"], note=internal("transfer")),
    )
    step("sign", lambda: services.sign(sr_(), p["handler2"], internal("sign")))
    step("bounce", lambda: services.bounce(sr_(), p["handler2"], internal("bounce")))
    step(
        "arbitrate",
        lambda: services.arbitrate(sr_(), p["steward"], upheld=False, note=internal("arbitrate")),
    )

    # Co-handling: the lead (handler2) asks two assistants; one answers, one declines. Then
    # the lead sends it to their department's queue, and claims it back.
    step("assist", lambda: services.assist(sr_(), p["handler2"], p["handler"], internal("assist")))
    step("part_sign", lambda: services.sign_part(sr_(), p["handler"], internal("part_sign")))
    step("part_reply", lambda: services.reply_part(sr_(), p["handler"], internal("part_reply")))
    step(
        "assist-2",
        lambda: services.assist(sr_(), p["handler2"], p["steward"], internal("assist-2")),
    )
    step(
        "part_decline",
        lambda: services.decline_part(sr_(), p["steward"], internal("part_decline")),
    )
    step(
        "transfer-2",
        lambda: services.transfer(
            sr_(), p["handler2"], None, internal("transfer-2"), department=p["handler"].department
        ),
    )
    step("claim", lambda: services.claim(sr_(), p["handler2"], internal("claim")))

    def internal_note() -> None:
        event = services.add_internal_note(sr_(), p["steward"], internal("internal_note"))
        attachments.attach(sr_(), p["steward"], upload("内部材料.pdf"), event=event)

    step("internal_note", internal_note)

    def note() -> None:
        event = services.add_note(sr_(), p["handler2"], public("note"))
        attachments.attach(sr_(), p["handler2"], upload("进展材料.pdf"), event=event)

    step("note", note)
    step("ask_info", lambda: services.ask_info(sr_(), p["handler2"], public("ask_info")))
    step("give_info", lambda: services.give_info(sr_(), p["enterprise"], public("give_info")))
    step(
        "extension_asked",
        lambda: services.ask_extension(sr_(), p["handler2"], "2", internal("extension_asked")),
    )
    step(
        "extension_decided",
        lambda: services.decide_extension(
            sr_().extensions.get(), p["official"], approve=True, note=internal("extension_decided")
        ),
    )
    step("supervise", lambda: services.supervise(sr_(), p["leader"], internal("supervise")))
    step("reply", lambda: services.reply(sr_(), p["handler2"], public("reply")))
    step(
        "rate",
        lambda: services.rate(sr_(), p["enterprise"], Rating.UNSATISFIED, public("rate")),
    )
    step("reply-2", lambda: services.reply(sr_(), p["handler2"], public("reply-2")))
    # Rated 不满意 before: the revisit comes before the closing.
    step(
        "revisit",
        lambda: services.revisit(
            sr_(), p["steward"], public("revisit"), channel="phone", outcome="satisfied"
        ),
    )
    step("close", lambda: services.close(sr_(), p["handler2"], public("close")))
    step(
        "rate-2",
        lambda: services.rate(sr_(), p["enterprise"], Rating.UNSATISFIED, public("rate-2")),
    )

    def merged_in() -> None:  # a duplicate of the same enterprise is merged into it
        duplicate = services.submit(
            p["enterprise"],
            enterprise=p["enterprise"].enterprise,
            category=Category.objects.get(code="land"),
            title="规划条件还没出",
            text="同一件事。",
        )
        services.merge(duplicate, p["steward"], sr_(), public("merged_in"))

    step("merged_in", merged_in)
    step("withdraw", lambda: services.withdraw(sr_(), p["enterprise"], public("withdraw")))
    w.sr.refresh_from_db()
    produced = {e.kind for e in w.events()}
    wanted = set(EventKind.values) - ELSEWHERE
    assert produced == wanted, f"the walk lacks {wanted - produced}"
    return w


def page_of(w: Walk, role: str) -> str:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(w.people[role])
    response = client.get(reverse("requests:detail", args=[w.sr.pk]))
    assert response.status_code == 200, role
    return response.content.decode()


def api_of(w: Walk, role: str) -> dict:
    response = Client().get(
        f"/api/v1/requests/{w.sr.pk}", headers={"Authorization": f"Bearer {w.keys[role]}"}
    )
    assert response.status_code == 200, (role, response.content[:300])
    return response.json()


def open311_of(w: Walk, role: str) -> dict:
    response = Client().get(f"/open311/v2/requests/{w.sr.number}.json", {"api_key": w.keys[role]})
    assert response.status_code == 200, (role, response.content[:300])
    [item] = response.json()
    return item


def export_of(w: Walk, role: str) -> dict[str, object]:
    """The request's row of the role's Excel export, by header."""
    client = Client(headers={"accept-language": "en"})
    client.force_login(w.people[role])
    response = client.get(reverse("requests:export"), {"queue": "all"})
    assert response.status_code == 200, role
    content = b"".join(response.streaming_content)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    [row] = [r for r in rows[1:] if r[0] == w.sr.number]
    return dict(zip(rows[0], row, strict=True))


def test_the_request_page_shows_each_role_the_table(people):
    w = walk(people)
    events = w.events()
    for role in ROLES:
        html = page_of(w, role)
        for kind in set(EventKind.values) - ELSEWHERE:
            shown = bool(re.search(rf'class="done event-{kind}[ "]', html))
            assert shown == sees(role, kind), (role, kind, "entry")
        for event in events:
            if event.note:
                assert (escape(event.note) in html) == reads(role, event.kind), (
                    role,
                    event.kind,
                    "note",
                )
        # The files of an entry go with its text.
        assert ("内部材料.pdf" in html) == reads(role, "internal_note"), role
        assert "进展材料.pdf" in html, role
    # The enterprise sees where its request went, without the steward's note.
    html = page_of(w, "enterprise")
    dispatch = re.search(r'<li class="done event-dispatch">(.*?)</li>', html, re.S)
    assert dispatch is not None and "自然资源局" in dispatch.group(1)
    assert SECRET not in html


def test_the_api_gives_each_role_the_table(people):
    w = walk(people)
    events = w.events()
    for role in ROLES:
        body = api_of(w, role)
        text = json.dumps(body, ensure_ascii=False)
        kinds = {e["kind"] for e in body["events"]}
        for kind in set(EventKind.values) - ELSEWHERE:
            assert (kind in kinds) == sees(role, kind), (role, kind, "entry")
        for event in events:
            if event.note:
                assert (event.note in text) == reads(role, event.kind), (role, event.kind)
        for item in body["events"]:
            assert item["internal"] == (EXPECTED[item["kind"]][0] == S)
            assert item["note_internal"] == (EXPECTED[item["kind"]][1] == S)
        names = {a["name"] for a in body["attachments"]}
        assert ("内部材料.pdf" in names) == reads(role, "internal_note"), role
    mine = api_of(w, "enterprise")
    [dispatch] = [e for e in mine["events"] if e["kind"] == "dispatch"]
    assert dispatch["note"] == "" and dispatch["data"]["department"] == "自然资源局"
    assert SECRET not in json.dumps(mine, ensure_ascii=False)


def test_open311_status_notes_are_only_what_the_enterprise_may_read(people):
    """Open311 answers what the enterprise may read, whichever key asks (a 12345 hotline reads
    its answers out to the enterprise): after each step, its status note is the latest
    progress note the enterprise may read, never a staff text."""
    checked: set[str] = set()

    def after(w: Walk, label: str, added: list[RequestEvent]) -> None:
        answers = {role: open311_of(w, role) for role in w.seeing()}
        for role, item in answers.items():
            assert SECRET not in json.dumps(item, ensure_ascii=False), (label, role)
            for event in added:
                if not event.note:
                    continue
                expected = event.kind in PROGRESS and reads("enterprise", event.kind)
                assert (item["status_notes"] == event.note) == expected, (label, role, event.kind)
                checked.add(event.kind)

    walk(people, after)
    assert {k for k in EventKind.values if k not in {"submit", *ELSEWHERE}} <= checked


# Who is told of an entry with its text quoted: the positive cells of the notification channel.
TOLD_WITH_TEXT = {
    ("dispatch", "handler"),
    ("transfer", "handler2"),
    ("bounce", "steward"),
    ("arbitrate", "handler2"),
    ("internal_note", "handler2"),
    ("ask_info", "enterprise"),
    ("give_info", "handler2"),
    ("extension_asked", "official"),
    ("extension_decided", "handler2"),
    ("supervise", "handler2"),
    ("supervise", "steward"),
    ("reply", "enterprise"),
    ("reopen", "handler2"),
    ("reopen", "steward"),
    ("reopen", "official"),
    ("remind", "handler"),
    ("escalate", "official"),
    ("assist", "handler"),
    ("part_reply", "handler2"),
    ("part_decline", "handler2"),
    ("transfer", "handler"),  # to the department's queue: its handlers
}


def test_notifications_quote_a_text_only_to_those_who_may_read_it(people):
    told: set[tuple[str, str]] = set()
    last = [0]

    def after(w: Walk, label: str, added: list[RequestEvent]) -> None:
        rows = list(Notification.objects.filter(pk__gt=last[0]).order_by("pk"))
        last[0] = max([last[0], *[n.pk for n in rows]])
        for n in rows:
            role = w.role_of(n.recipient_id)
            if role == "enterprise":
                assert SECRET not in n.title + n.body, (label, n.kind)
            for event in added:
                if event.note and event.note in n.title + n.body:
                    assert role is not None and reads(role, event.kind), (label, role, event.kind)
                    told.add((event.kind, role))

    w = walk(people, after)
    assert told >= TOLD_WITH_TEXT, TOLD_WITH_TEXT - told
    # The enterprise still hears of the facts: who handles it, the question, the answers.
    heard = set(
        Notification.objects.filter(recipient=w.people["enterprise"]).values_list("kind", flat=True)
    )
    assert heard == {"request.signed", "request.info_asked", "request.replied", "request.merged"}
    assert told <= {(k, r) for k in EventKind.values for r in ROLES if reads(r, k)}
    # The webhooks (the city's SMS platform) carry what the inbox rows carry.
    contact = w.people["enterprise"].username
    deliveries = list(WebhookDelivery.objects.all())
    assert deliveries
    for delivery in deliveries:
        names = {r["username"] for r in delivery.payload["recipients"]}
        if contact in names:
            assert SECRET not in json.dumps(delivery.payload, ensure_ascii=False)


def test_a_message_quoting_an_internal_text_is_never_sent_to_the_enterprise(people, dispatched):
    """The guard in `services._tell`: whatever a step's recipients, those who may not read
    the entry's text are not told when the message quotes it."""
    contact, steward = people["enterprise"], people["steward"]
    services._tell(
        [contact, steward],
        "dispatched",
        "转办",
        dispatched,
        body=internal("dispatch"),
        about=EventKind.DISPATCH,
        quotes_note=True,
    )
    services._tell([contact, steward], "bounced", "退单", dispatched, about=EventKind.BOUNCE)
    services._tell([contact, steward], "signed", "已签收", dispatched, about=EventKind.SIGN)
    told = {
        (n.recipient_id, n.title) for n in Notification.objects.filter(target_id=str(dispatched.pk))
    }
    assert (contact.pk, "转办") not in told and (steward.pk, "转办") in told
    assert (contact.pk, "退单") not in told and (steward.pk, "退单") in told
    assert (contact.pk, "已签收") in told


def test_the_export_shows_each_role_the_latest_progress_it_may_read(people):
    cells: dict[tuple[str, str], str] = {}

    def after(w: Walk, label: str, added: list[RequestEvent]) -> None:
        history = w.events()
        for role in w.seeing():
            row = export_of(w, role)
            readable = [e for e in history if e.kind in PROGRESS and reads(role, e.kind) and e.note]
            expected = readable[-1].note if readable else ""
            assert (row["Latest progress"] or "") == expected, (label, role)
            if role == "enterprise":
                assert SECRET not in json.dumps(row, ensure_ascii=False, default=str), label
            cells[(label, role)] = expected

    walk(people, after)
    # After the internal note, staff read it in their export and the enterprise does not.
    assert cells[("internal_note", "steward")] == internal("internal_note")
    assert cells[("internal_note", "enterprise")] == ""
    assert cells[("note", "enterprise")] == public("note")


def test_the_enterprise_cannot_fetch_an_internal_notes_file(people):
    w = walk(people)
    secret_file = Attachment.objects.get(name="内部材料.pdf")
    shared = Attachment.objects.get(name="进展材料.pdf")
    for role in ROLES:
        client = Client()
        client.force_login(w.people[role])
        url = reverse("requests:attachment", args=[w.sr.pk, secret_file.pk])
        assert client.get(url).status_code == (404 if role == "enterprise" else 200), role
        url = reverse("requests:attachment", args=[w.sr.pk, shared.pk])
        assert client.get(url).status_code == 200, role


# --- the internal note as a step -----------------------------------------------------------


@pytest.fixture
def dispatched(people):
    sr = services.submit(
        people["enterprise"],
        enterprise=people["enterprise"].enterprise,
        category=Category.objects.get(code="land"),
        title="供地延迟",
        text="摘牌后三个月仍未交地。",
    )
    services.dispatch(sr, people["steward"], to=people["handler"])
    return ServiceRequest.objects.get(pk=sr.pk)


# Who may write an internal note (web: 302 done, 403 refused; API: 200, 403).
INTERNAL_NOTE_BY = {
    "admin": True,
    "official": True,
    "steward": True,  # the request's own steward (its dispatcher)
    "handler": True,  # the assignee
    "handler2": False,  # the same department, not holding it
    "leader": False,  # read-only: supervises instead
    "enterprise": False,
}


@pytest.mark.parametrize(("role", "allowed"), INTERNAL_NOTE_BY.items())
def test_who_may_write_an_internal_note_on_the_page(people, dispatched, role, allowed):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(people[role])
    detail = client.get(reverse("requests:detail", args=[dispatched.pk])).content.decode()
    assert ('id="step-internal_note"' in detail) == allowed
    response = client.post(
        reverse("requests:step", args=[dispatched.pk, "internal_note"]),
        {"note": f"{SECRET}：{role}", "attachments": [upload("内部材料.pdf")]},
    )
    assert response.status_code == (302 if allowed else 403), role
    notes = RequestEvent.objects.filter(request=dispatched, kind=EventKind.INTERNAL_NOTE)
    assert notes.count() == (1 if allowed else 0)
    if allowed:
        # Recorded and audited as every step is, with its file.
        [event] = notes
        assert event.actor == people[role] and event.internal and event.attachments.count() == 1
        assert AuditEntry.objects.filter(
            object_id=str(dispatched.pk), note__startswith="internal_note:"
        ).exists()
        enterprise = Client()
        enterprise.force_login(people["enterprise"])
        page = enterprise.get(reverse("requests:detail", args=[dispatched.pk])).content.decode()
        assert SECRET not in page and "内部材料.pdf" not in page


def test_an_empty_internal_note_is_refused_on_the_page(people, dispatched):
    client = Client(headers={"accept-language": "en"})
    client.force_login(people["steward"])
    response = client.post(
        reverse("requests:step", args=[dispatched.pk, "internal_note"]), {"note": "  "}
    )
    assert response.status_code == 400
    assert not RequestEvent.objects.filter(kind=EventKind.INTERNAL_NOTE).exists()


@pytest.mark.parametrize(("role", "allowed"), INTERNAL_NOTE_BY.items())
def test_who_may_write_an_internal_note_through_the_api(people, dispatched, role, allowed):
    key = ApiToken.issue(people[role])[1]
    headers = {"Authorization": f"Bearer {key}"}
    url = f"/api/v1/requests/{dispatched.pk}"
    visible = access.requests_for(people[role]).filter(pk=dispatched.pk).exists()
    if visible:
        steps = Client().get(url, headers=headers).json()["allowed_steps"]
        assert ("internal_note" in steps) == allowed
    response = Client().post(
        f"{url}/steps/internal_note",
        data=json.dumps({"note": f"{SECRET}：{role}"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == (200 if allowed else 403 if visible else 404), role
    if allowed:
        [event] = [e for e in response.json()["events"] if e["kind"] == "internal_note"]
        assert event["note"] == f"{SECRET}：{role}" and event["internal"]
        mine = Client().get(
            url, headers={"Authorization": f"Bearer {ApiToken.issue(people['enterprise'])[1]}"}
        )
        assert SECRET not in mine.content.decode()
