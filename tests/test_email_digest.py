"""One email per person per sweep: the escalation sweep's digests (notifications.Digests).

Every mark still writes its own inbox row (with its link); the emails of one run are gathered
per recipient into one digest, sent through the outbox like any email, so a mail server that
is down loses nothing. A single event outside a sweep keeps its own email.
"""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core.mail.backends import locmem
from django.test import override_settings
from django.urls import reverse

from guanjia.notifications import emails
from guanjia.notifications.models import EmailStatus, Notification
from guanjia.requests import escalation, services
from guanjia.requests.models import ServiceRequest
from tests.test_escalation import at, dispatched, ladder  # noqa: F401 (a fixture)

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
BASE = "https://guanjia.example.cn"


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    settings.GUANJIA_BASE_URL = BASE
    with override_settings(TASKS=IMMEDIATE):
        yield


@pytest.fixture
def twelve_late(ladder):  # noqa: F811
    """12 requests dispatched to the steward on Monday, none signed for by Tuesday 09:00:
    each one escalates to the area official, and its holder (the steward) hears too."""
    ladder["steward"].email = "steward@example.cn"
    ladder["official"].email = "official@example.cn"
    for who in ("steward", "official"):
        ladder[who].save()
    late = [dispatched(ladder, at(2026, 3, 2, 9, 0)) for _ in range(12)]
    Notification.objects.update(email_status=EmailStatus.NONE)  # the dispatch emails: gone
    return late


def sweep(moment: dt.datetime, capture, batch: int = 5) -> int:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        return escalation.sweep(moment, batch=batch)


def test_a_sweep_of_many_marks_emails_each_person_once_listing_every_request(
    ladder,  # noqa: F811
    twelve_late,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    mailoutbox.clear()  # the dispatch emails
    # Batches of 5: one digest per person for the whole run, not one per batch.
    assert sweep(at(2026, 3, 3, 9, 5), django_capture_on_commit_callbacks) == 12

    assert sorted(m.to[0] for m in mailoutbox) == ["official@example.cn", "steward@example.cn"]
    for mail in mailoutbox:
        assert "12" in mail.subject
        for sr in twelve_late:
            assert sr.number in mail.body
            assert BASE + reverse("requests:detail", args=[sr.pk]) in mail.body
        assert mail.body.count("\n- ") == 12
    # The escalation recipients are still told of each request in their inbox, each row
    # marked emailed with the digest.
    for who in ("official", "steward"):
        rows = Notification.objects.filter(recipient=ladder[who], kind="request.escalated")
        assert rows.count() == 12
        assert set(rows.values_list("email_status", flat=True)) == {EmailStatus.SENT}
        assert len(set(rows.values_list("email_digest", flat=True))) == 1
    assert ServiceRequest.objects.filter(escalation_level=1).count() == 12


def test_the_digest_is_in_the_installation_language(
    ladder,  # noqa: F811
    twelve_late,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.LANGUAGE_CODE = "en"
    mailoutbox.clear()
    sweep(at(2026, 3, 3, 9, 5), django_capture_on_commit_callbacks)
    mail = mailoutbox[0]
    assert mail.subject == "12 notifications from Guanjia investment service platform"
    assert mail.body.startswith("You have 12 new notifications:")
    assert "was not signed for in time" in mail.body
    settings.LANGUAGE_CODE = "zh-hans"
    mailoutbox.clear()
    Notification.objects.update(email_status=EmailStatus.PENDING, emailed_at=None)
    first = Notification.objects.filter(recipient=ladder["official"]).order_by("pk").first()
    subject, text = emails.compose_digest(emails.digest_rows(first))
    assert subject.startswith("12 条") and "12 条新通知" in text


def test_nothing_is_lost_when_the_mail_server_is_down_during_the_sweep(
    ladder,  # noqa: F811
    twelve_late,
    mailoutbox,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    mailoutbox.clear()
    real = locmem.EmailBackend.send_messages
    down = {"on": True}

    def send_messages(self, messages):
        if down["on"]:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)
    moment = at(2026, 3, 3, 9, 5)
    sweep(moment, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    carriers = Notification.objects.filter(email_status=EmailStatus.PENDING)
    assert carriers.count() == 2 and all("SMTP" in n.email_error for n in carriers)

    down["on"] = False
    later = moment + emails.backoff(1) + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert emails.sweep() == 2  # the outbox retries the two digests
    assert len(mailoutbox) == 2 and all(m.body.count("\n- ") == 12 for m in mailoutbox)
    escalated = Notification.objects.filter(kind="request.escalated")
    assert set(escalated.values_list("email_status", flat=True)) == {EmailStatus.SENT}


def test_a_run_that_dies_before_queueing_its_digests_leaves_them_to_the_outbox(
    ladder,  # noqa: F811
    twelve_late,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    mailoutbox.clear()
    moment = at(2026, 3, 3, 9, 5)
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks():
        escalation.sweep(moment, batch=5)  # the on-commit enqueues never run
    assert mailoutbox == []
    with time_machine.travel(moment + emails.GRACE + dt.timedelta(seconds=1), tick=False):
        assert emails.sweep() == 2
    assert sorted(len(m.body.split("\n- ")) - 1 for m in mailoutbox) == [12, 12]


def test_one_mark_or_one_event_outside_a_sweep_keeps_its_own_email(
    ladder,  # noqa: F811
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    ladder["steward"].email = "steward@example.cn"
    ladder["steward"].save()
    sr = dispatched(ladder, at(2026, 3, 2, 9, 0))
    mailoutbox.clear()
    # One reminder in a sweep: an email like any other (its title the subject).
    sweep(at(2026, 3, 2, 14, 20), django_capture_on_commit_callbacks)
    [mail] = mailoutbox
    [row] = Notification.objects.filter(kind="request.reminder")
    assert mail.subject == row.title and sr.number in mail.subject
    # A mark handled on its own (outside a sweep run): no digest.
    sr.refresh_from_db()
    mailoutbox.clear()
    moment = at(2026, 3, 2, 16, 35)  # past the 80% reminder (16:30), before the deadline
    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert escalation._handle(sr, services.calendar(), moment) == 1
    [row] = Notification.objects.filter(kind="request.reminder").exclude(pk=row.pk)
    assert row.email_digest == "" and [m.subject for m in mailoutbox] == [row.title]


def test_a_digest_already_being_sent_is_not_joined(
    ladder,  # noqa: F811
    twelve_late,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    """A run that outlives the grace: the outbox took a person's digest, so their later rows
    start a new one instead of joining an email already on its way."""
    from guanjia.notifications.services import Digests, batched, notify

    mailoutbox.clear()
    official = ladder["official"]
    digests = Digests()
    with django_capture_on_commit_callbacks(execute=True):
        with batched(digests):
            notify([official], kind="request.escalated", title="一", url="/requests/1/")
        [first] = Notification.objects.filter(title="一")
        assert emails.claim(first.pk) == 1  # the outbox's try takes it
        with batched(digests):
            notify([official], kind="request.escalated", title="二", url="/requests/2/")
            notify([official], kind="request.escalated", title="三", url="/requests/3/")
        digests.send()
    rows = {n.title: n for n in Notification.objects.filter(title__in=["一", "二", "三"])}
    assert rows["二"].email_digest == rows["三"].email_digest != rows["一"].email_digest
    assert len(mailoutbox) == 1 and "二" in mailoutbox[0].body and "一" not in mailoutbox[0].body
