"""The email outbox: a notification's email survives a crash between the commit and the queue.

A kill between COMMIT and enqueue is played by committing without running the on-commit work
(the task is never queued); the periodic sweep has to find the email in the database.
"""

import datetime as dt
import smtplib

import pytest
import time_machine
from django.core.mail.backends import locmem
from django.test import override_settings
from django.urls import reverse

from guanjia.accounts.models import Role
from guanjia.notifications import emails
from guanjia.notifications.models import EmailStatus, Notification
from guanjia.notifications.services import batched, notify
from guanjia.notifications.tasks import send_email, send_emails, sweep_emails
from guanjia.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def english_and_immediate_tasks(settings):
    settings.LANGUAGE_CODE = "en"
    settings.GUANJIA_BASE_URL = "https://guanjia.example.cn"
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ):
        yield


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.cn")


def committed_but_never_queued(django_capture_on_commit_callbacks, recipients, title="诉求已升级"):
    """The change commits, then the web worker dies before its on-commit enqueue runs."""
    with (
        time_machine.travel(START, tick=False),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        rows = notify(recipients, kind="request.escalated", title=title, url="/requests/7/")
    assert len(callbacks) == 2  # the enqueue that never ran (and the unread count forgotten)
    return rows


@pytest.fixture
def mail_down(monkeypatch):
    """The mail server refuses everything until `state["down"]` is set False."""
    state = {"down": True, "tries": 0}
    real = locmem.EmailBackend.send_messages

    def send_messages(self, messages):
        state["tries"] += 1
        if state["down"]:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_messages)
    return state


def test_an_email_whose_task_was_never_queued_is_sent_by_the_sweep_exactly_once(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    [row] = committed_but_never_queued(django_capture_on_commit_callbacks, [alice])
    row.refresh_from_db()
    assert (row.email_status, row.emailed_at) == (EmailStatus.PENDING, None)
    with time_machine.travel(at(1), tick=False):
        assert sweep_emails.call() == 0  # still the on-commit task's turn
    assert mailoutbox == []
    with time_machine.travel(at(2.5), tick=False):
        assert sweep_emails.call() == 1
        assert sweep_emails.call() == 0
    with time_machine.travel(at(10), tick=False):
        assert sweep_emails.call() == 0
        assert send_email.call(row.pk) is True  # a late task run: already sent, not again
    assert [(m.to, m.subject) for m in mailoutbox] == [(["alice@example.cn"], "诉求已升级")]
    assert "https://guanjia.example.cn/requests/7/" in mailoutbox[0].body
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts) == (EmailStatus.SENT, 1)
    assert row.emailed_at == at(2.5)


def test_an_email_queued_on_commit_is_sent_at_once_and_not_again_by_the_sweep(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(START, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [row] = notify([alice], kind="request.escalated", title="升级")
    assert len(mailoutbox) == 1
    with time_machine.travel(at(30), tick=False):
        assert sweep_emails.call() == 0
    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert (row.email_status, row.emailed_at) == (EmailStatus.SENT, START)


def test_running_send_email_twice_sends_once(alice, mailoutbox):
    [row] = notify([alice], kind="x.y", title="一次")
    assert send_email.call(row.pk) is True
    assert send_email.call(row.pk) is True  # run again (e.g. requeued after a kill)
    assert send_emails.call([row.pk]) == 1  # and once more in a batch
    assert len(mailoutbox) == 1


def test_a_claimed_email_is_not_sent_by_a_second_run_until_its_lease_runs_out(alice, mailoutbox):
    with time_machine.travel(START, tick=False):
        [row] = notify([alice], kind="x.y", title="租约")
        assert emails.claim(row.pk) == 1  # a worker took it, then was killed before sending
        assert emails.claim(row.pk) is None
        assert send_email.call(row.pk) is False  # the requeued run leaves it to the holder
    with time_machine.travel(at(4), tick=False):
        assert sweep_emails.call() == 0  # the lease (5 min) still holds
    assert mailoutbox == []
    with time_machine.travel(at(5.5), tick=False):
        assert sweep_emails.call() == 1
        assert send_email.call(row.pk) is True
    assert len(mailoutbox) == 1
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts) == (EmailStatus.SENT, 2)


def test_a_failing_mail_server_is_retried_with_back_off_until_it_recovers(
    alice, mailoutbox, mail_down, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(START, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [row] = notify([alice], kind="request.escalated", title="重试")
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts) == (EmailStatus.PENDING, 1)
    assert "SMTPServerDisconnected" in row.email_error
    assert row.email_due_at == START + dt.timedelta(minutes=2)
    with time_machine.travel(at(1.5), tick=False):
        assert sweep_emails.call() == 0  # not due yet
    with time_machine.travel(at(2.5), tick=False):
        assert sweep_emails.call() == 0  # tried, failed again
    row.refresh_from_db()
    assert row.email_attempts == 2
    assert row.email_due_at == at(2.5) + dt.timedelta(minutes=4)  # the wait doubles
    mail_down["down"] = False
    with time_machine.travel(at(7), tick=False):
        assert sweep_emails.call() == 1
    assert mail_down["tries"] == 3 and len(mailoutbox) == 1
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts, row.email_error) == (EmailStatus.SENT, 3, "")


def test_a_failing_mail_server_is_given_up_after_the_last_attempt(
    alice, mailoutbox, mail_down, settings, django_capture_on_commit_callbacks
):
    settings.GUANJIA_EMAIL_MAX_ATTEMPTS = 3
    rows = committed_but_never_queued(django_capture_on_commit_callbacks, [alice])
    for hours in range(1, 6):
        with time_machine.travel(START + dt.timedelta(hours=hours), tick=False):
            assert sweep_emails.call() == 0
    assert mail_down["tries"] == 3 and mailoutbox == []
    row = Notification.objects.get(pk=rows[0].pk)
    assert (row.email_status, row.email_attempts, row.emailed_at) == (EmailStatus.FAILED, 3, None)
    assert "SMTPServerDisconnected" in row.email_error
    # Given up means given up: neither the sweep nor a late task sends it.
    mail_down["down"] = False
    assert send_email.call(row.pk) is False
    with time_machine.travel(START + dt.timedelta(hours=9), tick=False):
        assert sweep_emails.call() == 0
    assert mailoutbox == []


def test_an_email_whose_last_try_died_with_its_worker_is_given_up_by_the_sweep(
    alice, mailoutbox, settings
):
    settings.GUANJIA_EMAIL_MAX_ATTEMPTS = 2
    with time_machine.travel(START, tick=False):
        [row] = notify([alice], kind="x.y", title="崩溃")
        assert emails.claim(row.pk) == 1  # killed mid-send, twice
    with time_machine.travel(at(6), tick=False):
        assert emails.claim(row.pk) == 2
    with time_machine.travel(at(12), tick=False):
        assert sweep_emails.call() == 0
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts) == (EmailStatus.FAILED, 2)
    assert row.email_error == emails.DIED
    assert mailoutbox == []


def test_the_sweep_ignores_fresh_rows_emailed_rows_and_people_without_an_address(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    carol = UserFactory(username="carol", email="")
    committed_but_never_queued(django_capture_on_commit_callbacks, [alice, carol], "旧")
    sent = notify([alice], kind="x.y", title="已发")[0]
    send_email.call(sent.pk)
    with time_machine.travel(at(2.5), tick=False):
        fresh = notify([alice], kind="x.y", title="新")[0]  # never queued either, but new
        assert sweep_emails.call() == 1
    assert sorted(m.subject for m in mailoutbox) == ["已发", "旧"]
    carols = Notification.objects.get(recipient=carol)
    assert (carols.email_status, carols.email_attempts) == (EmailStatus.NONE, 0)
    assert Notification.objects.get(pk=fresh.pk).email_status == EmailStatus.PENDING
    # Its turn comes once its grace is over.
    with time_machine.travel(at(5), tick=False):
        assert sweep_emails.call() == 1
    assert sorted(m.subject for m in mailoutbox) == ["已发", "新", "旧"]


def test_a_recipient_who_lost_the_address_is_no_longer_pending(alice, mailoutbox):
    [row] = notify([alice], kind="x.y", title="t")
    alice.email = ""
    alice.save()
    assert send_email.call(row.pk) is False
    row.refresh_from_db()
    assert (row.email_status, row.email_attempts) == (EmailStatus.NONE, 0)
    assert row.email_error == emails.NO_ADDRESS
    with time_machine.travel(at(60 * 24), tick=False):
        assert sweep_emails.call() == 0
    assert mailoutbox == []


def test_rows_from_before_the_outbox_are_not_emailed_by_the_sweep(alice, mailoutbox):
    # What the migration leaves on existing rows: not pending.
    Notification.objects.create(recipient=alice, kind="x.y", title="历史")
    with time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tick=False):
        assert sweep_emails.call() == 0
    assert mailoutbox == []


def test_a_batched_sweep_leaves_its_emails_in_the_outbox_too(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    bob = UserFactory(username="bob", email="bob@example.cn")
    with (
        time_machine.travel(START, tick=False),
        django_capture_on_commit_callbacks(execute=False),
        batched(),
    ):
        for user in (alice, bob):
            notify([user], kind="request.reminder", title="提醒")
    with time_machine.travel(at(3), tick=False):
        assert sweep_emails.call() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.cn", "bob@example.cn"]


def test_the_sweep_takes_a_bounded_batch_oldest_first(alice, mailoutbox, monkeypatch):
    monkeypatch.setattr(emails, "SWEEP_BATCH", 2)
    with time_machine.travel(START, tick=False):
        for i in range(3):
            notify([alice], kind="x.y", title=f"第{i}封")
    with time_machine.travel(at(3), tick=False):
        assert sweep_emails.call() == 2
        assert sweep_emails.call() == 1
    assert [m.subject for m in mailoutbox] == ["第0封", "第1封", "第2封"]


def test_the_outbox_sweep_runs_every_minute():
    from guanjia.core.scheduling import REGISTRY

    assert REGISTRY[sweep_emails.module_path].every == dt.timedelta(seconds=60)


def test_a_city_admin_sees_which_emails_were_given_up_but_not_their_text(
    client, alice, mail_down, settings
):
    settings.GUANJIA_EMAIL_MAX_ATTEMPTS = 1
    [row] = notify([alice], kind="request.escalated", title="升级", body="机密正文", url="/r/9/")
    send_email.call(row.pk)
    client.force_login(UserFactory(username="cityadmin", role=Role.CITY_ADMIN))
    changelist = reverse("admin:notifications_notification_changelist")
    html = client.get(changelist + "?email_status=failed").content.decode()
    assert "alice" in html and "request.escalated" in html
    assert "机密正文" not in html
    detail = client.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert detail.status_code == 200
    assert "SMTPServerDisconnected" in detail.content.decode()
    assert "机密正文" not in detail.content.decode() and "/r/9/" not in detail.content.decode()
    # Nobody else gets in.
    client.force_login(alice)
    assert client.get(changelist).status_code in (302, 403)


def test_a_copy_sent_again_after_a_kill_carries_the_same_message_id(alice, mailoutbox):
    """At least once: a worker killed after the mail server took the message but before the row
    was marked sent leaves it to the sweep, which sends it again — as the same message."""
    with time_machine.travel(START, tick=False):
        [row] = notify([alice], kind="x.y", title="至少一次")
        assert send_email.call(row.pk) is True
        # The kill: the server has the message, the row was never marked sent.
        Notification.objects.filter(pk=row.pk).update(
            email_status=EmailStatus.PENDING, emailed_at=None, email_due_at=at(5)
        )
    with time_machine.travel(at(6), tick=False):
        assert sweep_emails.call() == 1
    first, again = mailoutbox
    assert first.extra_headers["Message-ID"] == again.extra_headers["Message-ID"]
    assert (
        first.extra_headers["Message-ID"]
        == f"<notification-{row.pk}-{int(row.created_at.timestamp())}@guanjia.example.cn>"
    )
