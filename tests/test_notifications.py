"""Notifications: the inbox, email after commit, and signed webhooks retried with back-off.

Webhooks go to a real HTTP server on 127.0.0.1 (a thread), so the request a city's platform
receives — headers, signature, UTF-8 body — is checked as it arrives.
"""

import datetime as dt
import http.server
import json
import threading

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.core.models import AuditEntry
from guanjia.notifications import webhooks
from guanjia.notifications.models import (
    DeliveryStatus,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
)
from guanjia.notifications.services import mark_read, notify, unread_count
from guanjia.notifications.tasks import deliver_webhook, retry_webhooks, send_email
from guanjia.notifications.webhooks import verify_signature
from guanjia.testing.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-the-city"
INBOX = reverse("notifications:inbox")


@pytest.fixture(autouse=True)
def english_and_immediate_tasks(settings):
    settings.LANGUAGE_CODE = "en"
    settings.GUANJIA_BASE_URL = "https://guanjia.example.cn"
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ):
        yield


@pytest.fixture
def people(db):
    return {
        "alice": UserFactory(username="alice", email="alice@example.cn", display_name="王丽"),
        "bob": UserFactory(username="bob", email="bob@example.cn"),
        "carol": UserFactory(username="carol", email=""),
        "gone": UserFactory(username="gone", email="gone@example.cn", is_active=False),
    }


class Receiver:
    """A city's messaging platform: records each POST and answers with the next status."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.answers: list[int] = []  # consumed in order; 200 once empty
        self.always: int | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                if receiver.always is not None:
                    status = receiver.always
                else:
                    status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/guanjia"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(name="城市消息平台", url=receiver.url, secret=SECRET)


def escalate(people, run, **kwargs):
    """Notify alice and bob of an escalation, committing (running on-commit work)."""
    target = EnterpriseFactory(name="锦州测试企业有限公司")
    with run(execute=True):
        return notify(
            [people["alice"], people["bob"]],
            kind="request.escalated",
            title="诉求已升级：锦州测试企业有限公司",
            body="用电报装超过时限，已提请市领导协调。",
            url="/requests/7/",
            target=target,
            **kwargs,
        )


# --- notify: inbox rows, then email and webhooks only once the change commits ---


def test_nothing_is_sent_until_the_change_commits(
    people, endpoint, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = notify([people["alice"]], kind="request.escalated", title="升级", url="/x/")
        assert Notification.objects.filter(recipient=people["alice"]).count() == 1
        assert mailoutbox == [] and receiver.received == []
    assert len(callbacks) == 2  # the sending, and forgetting alice's cached unread count
    assert [m.to for m in mailoutbox] == [["alice@example.cn"]]
    assert len(receiver.received) == 1
    assert rows[0].recipient == people["alice"]


def test_a_rolled_back_change_sends_nothing_and_leaves_no_inbox_rows(
    people, endpoint, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify([people["alice"]], kind="request.escalated", title="升级")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Notification.objects.exists() and not WebhookDelivery.objects.exists()
    assert mailoutbox == [] and receiver.received == []


def test_recipients_are_deduplicated_and_missing_or_inactive_ones_skipped(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(
            [people["alice"], None, people["alice"], people["gone"], people["carol"]],
            kind="project.assigned",
            title="您被指定为项目管家",
        )
    assert sorted(n.recipient.username for n in rows) == ["alice", "carol"]
    assert Notification.objects.count() == 2
    # carol has no email address: she finds it in her inbox only.
    assert [m.to for m in mailoutbox] == [["alice@example.cn"]]
    assert notify([None, people["gone"]], kind="project.assigned", title="x") == []


def test_the_email_carries_the_title_text_and_an_absolute_link(
    people, mailoutbox, django_capture_on_commit_callbacks
):
    escalate(people, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.cn", "bob@example.cn"]
    message = mailoutbox[0]
    assert message.subject == "诉求已升级：锦州测试企业有限公司"
    assert "用电报装超过时限" in message.body
    assert "https://guanjia.example.cn/requests/7/" in message.body
    assert message.from_email == "guanjia@localhost"


def test_the_email_task_skips_a_recipient_who_has_since_lost_the_address(people, mailoutbox):
    [row] = notify([people["alice"]], kind="x.y", title="t")  # no commit: nothing enqueued
    people["alice"].email = ""
    people["alice"].save()
    assert send_email.call(row.pk) is False
    assert mailoutbox == []


# --- webhooks ---


def test_a_webhook_arrives_signed_with_the_event_as_utf8_json(
    people, endpoint, receiver, django_capture_on_commit_callbacks
):
    rows = escalate(people, django_capture_on_commit_callbacks)
    [request] = receiver.received  # one delivery per event, not one per recipient
    headers, body = request["headers"], request["body"]
    delivery = WebhookDelivery.objects.get()
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Guanjia-Event"] == "request.escalated"
    assert headers["X-Guanjia-Delivery"] == str(delivery.pk)
    assert verify_signature(
        SECRET, headers["X-Guanjia-Timestamp"], body, headers["X-Guanjia-Signature"]
    )
    assert not verify_signature(
        "wrong", headers["X-Guanjia-Timestamp"], body, headers["X-Guanjia-Signature"]
    )
    assert not verify_signature(
        SECRET, headers["X-Guanjia-Timestamp"], body + b" ", headers["X-Guanjia-Signature"]
    )
    assert "锦州测试企业".encode() in body  # UTF-8 as is, not \u escapes
    payload = json.loads(body)
    assert payload["event"] == "request.escalated"
    assert payload["url"] == "https://guanjia.example.cn/requests/7/"
    assert payload["recipients"] == [
        {"username": "alice", "name": "王丽"},
        {"username": "bob", "name": "bob"},
    ]
    assert payload["target"] == {"type": "enterprises.enterprise", "id": rows[0].target_id}
    assert dt.datetime.fromisoformat(payload["created_at"]) == rows[0].created_at
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


def test_an_old_or_malformed_timestamp_does_not_verify():
    body = b'{"event":"x"}'
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        stamp = str(int(timezone.now().timestamp()))
        signature = webhooks.sign(SECRET, stamp, body)
        assert verify_signature(SECRET, stamp, body.decode(), signature)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 10, tzinfo=dt.UTC), tick=False):
        assert not verify_signature(SECRET, stamp, body, signature)  # 10 minutes later
        assert verify_signature(SECRET, stamp, body, signature, max_age=None)
    assert not verify_signature(SECRET, "soon", body, signature)


def test_endpoints_get_only_the_kinds_they_ask_for(
    people, receiver, django_capture_on_commit_callbacks
):
    wants_requests = WebhookEndpoint.objects.create(
        name="诉求", url=receiver.url, secret=SECRET, kinds="project.stalled, request."
    )
    WebhookEndpoint.objects.create(name="项目", url=receiver.url, secret=SECRET, kinds="project.")
    WebhookEndpoint.objects.create(name="停用", url=receiver.url, secret=SECRET, active=False)
    escalate(people, django_capture_on_commit_callbacks)
    assert [d.endpoint for d in WebhookDelivery.objects.all()] == [wants_requests]
    assert len(receiver.received) == 1


def test_a_failing_receiver_is_retried_with_back_off_until_it_recovers(
    people, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 503]
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        escalate(people, django_capture_on_commit_callbacks)
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
        assert "500" in delivery.last_error
        assert retry_webhooks.call() == 0  # not due yet
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert retry_webhooks.call() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 2, 503)
        # The wait doubles.
        assert delivery.next_attempt_at == start + dt.timedelta(seconds=31 + 60)
    with time_machine.travel(start + dt.timedelta(seconds=31 + 59), tick=False):
        assert retry_webhooks.call() == 0
    with time_machine.travel(start + dt.timedelta(seconds=31 + 61), tick=False):
        assert retry_webhooks.call() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 3, 200)
    assert delivery.last_error == ""
    # Every retry is the same delivery, freshly stamped and signed.
    assert {r["headers"]["X-Guanjia-Delivery"] for r in receiver.received} == {str(delivery.pk)}
    assert len(receiver.received) == 3


def test_a_delivery_is_given_up_after_the_last_attempt(
    people, endpoint, receiver, settings, django_capture_on_commit_callbacks
):
    settings.GUANJIA_WEBHOOK_MAX_ATTEMPTS = 3
    receiver.always = 500
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        escalate(people, django_capture_on_commit_callbacks)
    for hours in range(1, 6):
        with time_machine.travel(start + dt.timedelta(hours=hours), tick=False):
            retry_webhooks.call()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert len(receiver.received) == 3


def test_an_unreachable_receiver_counts_as_a_failed_attempt(
    people, django_capture_on_commit_callbacks
):
    # A port nobody listens on: bind one, then close it.
    gone = Receiver()
    url = gone.url
    gone.close()
    WebhookEndpoint.objects.create(name="离线", url=url, secret=SECRET)
    escalate(people, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert delivery.last_error


def test_a_redirect_is_not_followed(people, endpoint, receiver, django_capture_on_commit_callbacks):
    receiver.answers = [302]
    escalate(people, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_status) == ("pending", 302)
    assert len(receiver.received) == 1


def test_the_retry_sweep_never_sends_a_delivery_twice(people, endpoint, receiver):
    # Created without committing, so no task has tried it: it is due now.
    notify([people["alice"]], kind="request.escalated", title="升级")
    delivery = WebhookDelivery.objects.get()
    assert retry_webhooks.call() == 1
    assert retry_webhooks.call() == 0
    assert deliver_webhook.call(delivery.pk) == DeliveryStatus.DELIVERED  # already done: skipped
    assert len(receiver.received) == 1


def test_a_claimed_delivery_cannot_be_claimed_again_until_its_lease_runs_out(
    people, endpoint, receiver
):
    notify([people["alice"]], kind="request.escalated", title="升级")
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    assert webhooks.claim(delivery.pk, now) is not None  # a worker took it ...
    assert webhooks.claim(delivery.pk, now) is None  # ... so a second one gets nothing
    assert retry_webhooks.call() == 0
    assert deliver_webhook.call(delivery.pk) == DeliveryStatus.PENDING
    assert receiver.received == []
    # The worker died mid-attempt: once the lease runs out the sweep tries again.
    with time_machine.travel(now + webhooks.LEASE + dt.timedelta(seconds=1), tick=False):
        assert retry_webhooks.call() == 1
    assert len(receiver.received) == 1


def test_a_city_admin_adds_an_endpoint_in_the_admin_and_the_secret_stays_out_of_the_log(client):
    client.force_login(UserFactory(username="cityadmin", role=Role.CITY_ADMIN))
    response = client.post(
        reverse("admin:notifications_webhookendpoint_add"),
        {
            "name": "政务微信",
            "url": "https://im.example.cn/hook",
            "secret": SECRET,
            "kinds": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    entry = AuditEntry.objects.get(object_type="notifications.webhookendpoint")
    assert entry.after["url"] == "https://im.example.cn/hook"
    assert "secret" not in entry.after and SECRET not in json.dumps(entry.after)
    assert endpoint.wants("anything.at.all")


def test_the_retry_sweep_runs_every_minute():
    from guanjia.core.scheduling import REGISTRY

    assert REGISTRY[retry_webhooks.module_path].every == dt.timedelta(seconds=60)


# --- the inbox ---


@pytest.fixture
def inbox(people):
    alice, bob = people["alice"], people["bob"]
    mine = [
        notify([alice], kind="request.assigned", title=f"派单 {i}", url=f"/requests/{i}/")[0]
        for i in range(3)
    ]
    theirs = notify([bob], kind="request.assigned", title="鲍勃的通知", url="/requests/99/")[0]
    return {"mine": mine, "theirs": theirs}


def test_the_inbox_shows_only_my_notifications_newest_first_with_the_unread_count(
    client, people, inbox
):
    client.force_login(people["alice"])
    response = client.get(INBOX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index("派单 2") < html.index("派单 1") < html.index("派单 0")
    assert "鲍勃的通知" not in html
    assert response.context["unread_notifications"] == 3
    assert 'title="Unread">3</span>' in html  # the badge in the header


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(client, people, inbox):
    client.force_login(people["alice"])
    first = inbox["mine"][0]
    response = client.get(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/requests/0/"
    first.refresh_from_db()
    assert first.is_read
    assert unread_count(people["alice"]) == 2
    html = client.get(INBOX + "?show=unread").content.decode()
    assert "派单 0" not in html and "派单 1" in html


def test_someone_elses_notification_is_not_found(client, people, inbox):
    client.force_login(people["alice"])
    response = client.get(reverse("notifications:open", args=[inbox["theirs"].pk]))
    assert response.status_code == 404
    inbox["theirs"].refresh_from_db()
    assert not inbox["theirs"].is_read


@pytest.mark.parametrize(
    "url", ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example", ""]
)
def test_a_link_off_the_site_is_not_followed(client, people, url):
    [row] = notify([people["alice"]], kind="x.y", title="t", url=url)
    client.force_login(people["alice"])
    response = client.get(reverse("notifications:open", args=[row.pk]))
    assert response["Location"] == INBOX


def test_mark_all_read_clears_the_count_of_my_notifications_only(client, people, inbox):
    client.force_login(people["alice"])
    assert client.get(reverse("notifications:mark_all_read")).status_code == 405
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302 and response["Location"] == INBOX
    assert unread_count(people["alice"]) == 0
    assert unread_count(people["bob"]) == 1
    html = client.get(INBOX).content.decode()
    assert 'title="Unread"' not in html and "派单 0" in html


def test_mark_read_marks_only_the_given_ids_of_the_user(people, inbox):
    mine, theirs = inbox["mine"], inbox["theirs"]
    assert mark_read(people["alice"], [mine[0].pk, theirs.pk]) == 1
    assert unread_count(people["alice"]) == 2 and unread_count(people["bob"]) == 1


def test_the_inbox_is_paginated(client, people, settings):
    settings.GUANJIA_PAGE_SIZE = 2
    for i in range(5):
        notify([people["alice"]], kind="x.y", title=f"第{i}条")
    client.force_login(people["alice"])
    page = client.get(INBOX + "?page=3").context["page"]
    assert [n.title for n in page.object_list] == ["第0条"]


def test_a_visitor_is_sent_to_log_in_and_gets_no_count(client, inbox):
    response = client.get(INBOX)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert "unread_notifications" not in client.get(reverse("login")).context


def test_the_unread_badge_follows_new_and_read_notifications(people, client):
    """The header's unread count is cached, and forgotten when a notification comes or is read."""
    from django.core.cache import cache

    from guanjia.notifications.services import mark_read, unread_count

    cache.clear()
    alice = people["alice"]
    assert unread_count(alice) == 0
    notify([alice], kind="request.escalated", title="升级")
    assert unread_count(alice) == 1
    notify([alice], kind="request.escalated", title="再次升级")
    assert unread_count(alice) == 2
    mark_read(alice)
    assert unread_count(alice) == 0
