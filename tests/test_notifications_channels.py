"""Channels on the outbox: 企业微信, 钉钉 and 飞书 group robots, and SMS through Aliyun.

Every platform is played by a real HTTP server on 127.0.0.1 (a thread) that checks each request
the way the platform documents it — 钉钉's `timestamp`/`sign` query, 飞书's `timestamp`/`sign` in
the body, Aliyun's RPC signature over the percent-encoded canonical query — and answers as the
platform does (errcode 0 / Code OK, or its error codes). The checks below are written from the
platforms' documents, not from guanjia's code.
"""

import base64
import datetime as dt
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from guanjia.accounts.models import Role
from guanjia.core.models import AuditEntry
from guanjia.notifications import channels, robots, sms
from guanjia.notifications.metrics import outbox
from guanjia.notifications.models import (
    Channel,
    ChannelDelivery,
    ChannelSettings,
    DeliveryStatus,
    GroupRobot,
    MessageFormat,
    SmsTemplate,
)
from guanjia.notifications.services import batched, notify
from guanjia.notifications.tasks import retry_channels
from guanjia.testing.factories import DepartmentFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "d8f2a1c0ffee"
DING_SECRET = "SEC3b1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3"
FEISHU_HOOK = "2c1e4d7a-1b2c-4d5e-9f00-abcdef012345"
FEISHU_SECRET = "y2M5nQ8pR4sT7vW0"
ACCESS_KEY_ID = "LTAI5tTestKeyId"
ACCESS_KEY_SECRET = "testSecretOfTheRamUser"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def pop(value: str) -> str:
    """Aliyun's documented encoding (the Java recipe): URLEncoder, then + → %20, * → %2A,
    %7E → ~."""
    return (
        urllib.parse.quote_plus(value, encoding="utf-8")
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~")
    )


class Platforms:
    """企业微信, 钉钉, 飞书 and Aliyun SMS on one local server; `answers[name]` queues the codes
    each will answer next (success once empty)."""

    def __init__(self) -> None:
        self.received: dict[str, list] = {"wecom": [], "dingtalk": [], "feishu": [], "sms": []}
        self.answers: dict[str, list] = {"wecom": [], "dingtalk": [], "feishu": [], "sms": []}
        platforms = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, status: int, data: dict) -> None:
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if parts.path == "/cgi-bin/webhook/send":
                    platforms.received["wecom"].append({"query": query, "body": body})
                    if query.get("key") != WECOM_KEY:
                        return self._answer(
                            200, {"errcode": 93000, "errmsg": "invalid webhook url"}
                        )
                    code = platforms.next("wecom")
                    return self._answer(200, {"errcode": code, "errmsg": "ok" if not code else "x"})
                if parts.path == "/robot/send":
                    platforms.received["dingtalk"].append({"query": query, "body": body})
                    stamp = query.get("timestamp", "")
                    mac = hmac.new(
                        DING_SECRET.encode(), f"{stamp}\n{DING_SECRET}".encode(), hashlib.sha256
                    )
                    fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3600_000
                    if (
                        query.get("access_token") != DING_TOKEN
                        or not fresh
                        or query.get("sign") != base64.b64encode(mac.digest()).decode()
                    ):
                        return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
                    code = platforms.next("dingtalk")
                    return self._answer(200, {"errcode": code, "errmsg": "ok" if not code else "x"})
                if parts.path == f"/open-apis/bot/v2/hook/{FEISHU_HOOK}":
                    platforms.received["feishu"].append({"body": body})
                    stamp = str(body.get("timestamp", ""))
                    mac = hmac.new(f"{stamp}\n{FEISHU_SECRET}".encode(), b"", hashlib.sha256)
                    fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 3600
                    if not fresh or body.get("sign") != base64.b64encode(mac.digest()).decode():
                        return self._answer(
                            200,
                            {
                                "code": 19021,
                                "msg": "sign match fail or timestamp is not within one hour from current time",
                            },
                        )
                    code = platforms.next("feishu")
                    return self._answer(
                        200, {"code": code, "msg": "success" if not code else "x", "data": {}}
                    )
                return self._answer(404, {"errcode": 404})

            def do_GET(self):  # noqa: N802 — Aliyun dysmsapi, RPC style
                parts = urllib.parse.urlsplit(self.path)
                params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
                platforms.received["sms"].append(params)
                signature = params.pop("Signature", "")
                canonical = "&".join(f"{pop(k)}={pop(params[k])}" for k in sorted(params))
                to_sign = "GET&" + pop("/") + "&" + pop(canonical)
                mac = hmac.new(f"{ACCESS_KEY_SECRET}&".encode(), to_sign.encode(), hashlib.sha1)
                ok = (
                    params.get("AccessKeyId") == ACCESS_KEY_ID
                    and params.get("Action") == "SendSms"
                    and params.get("Version") == "2017-05-25"
                    and params.get("SignatureMethod") == "HMAC-SHA1"
                    and params.get("SignatureVersion") == "1.0"
                    and signature == base64.b64encode(mac.digest()).decode()
                )
                if not ok:
                    return self._answer(
                        400,
                        {
                            "Code": "SignatureDoesNotMatch",
                            "Message": "Specified signature is not matched with our calculation.",
                            "RequestId": "r0",
                        },
                    )
                code = platforms.next("sms") or "OK"
                data = {"Code": code, "Message": "OK" if code == "OK" else code, "RequestId": "r1"}
                if code == "OK":
                    data["BizId"] = "900619746936498440^0"
                return self._answer(200, data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def next(self, name: str):
        return self.answers[name].pop(0) if self.answers[name] else 0

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platforms(settings):
    p = Platforms()
    settings.LANGUAGE_CODE = "en"
    settings.GUANJIA_BASE_URL = "https://guanjia.example.cn"
    settings.GUANJIA_SMS_PROVIDER = "aliyun"
    settings.GUANJIA_SMS_ACCESS_KEY_ID = ACCESS_KEY_ID
    settings.GUANJIA_SMS_ACCESS_KEY_SECRET = ACCESS_KEY_SECRET
    settings.GUANJIA_SMS_SIGN_NAME = "锦州市营商局"
    settings.GUANJIA_SMS_ENDPOINT = p.base + "/"
    with override_settings(
        TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ):
        yield p
    p.close()


@pytest.fixture
def world(platforms):
    county = RegionFactory(code="210726", name="黑山县")
    land = DepartmentFactory(name="自然资源局", region=county)
    handler = UserFactory(
        username="handler", role=Role.HANDLER, department=land, region=county, display_name="李明"
    )
    ChannelSettings.objects.create(
        user=handler, sms_phone="13812345678", sms_kinds="request.", robot_kinds="*"
    )
    SmsTemplate.objects.create(
        kind="request.", code="SMS_154950909", params="title=title,no=number"
    )
    wecom = GroupRobot.objects.create(
        name="自然资源局工作群",
        platform=Channel.WECOM,
        url=f"{platforms.base}/cgi-bin/webhook/send?key={WECOM_KEY}",
        department=land,
    )
    return {"county": county, "land": land, "handler": handler, "wecom": wecom}


def tell(run, people, kind="request.escalated", title="诉求 ZT2026000123 已升级"):
    with run(execute=True):
        return notify(
            people,
            kind=kind,
            title=title,
            body="用电报装超过时限，已提请市领导协调。",
            url="/requests/7/",
        )


def test_a_wecom_robot_message_and_an_sms_are_sent_through_the_outbox(
    platforms, world, django_capture_on_commit_callbacks
):
    tell(django_capture_on_commit_callbacks, [world["handler"]])

    [wecom] = platforms.received["wecom"]
    assert wecom["query"] == {"key": WECOM_KEY}
    assert wecom["body"]["msgtype"] == "markdown"
    content = wecom["body"]["markdown"]["content"]
    assert "**诉求 ZT2026000123 已升级**" in content
    assert "[View details](https://guanjia.example.cn/requests/7/)" in content

    [sent] = platforms.received["sms"]  # its signature checked by the server
    assert sent["PhoneNumbers"] == "13812345678"
    assert sent["SignName"] == "锦州市营商局"
    assert sent["TemplateCode"] == "SMS_154950909"
    assert json.loads(sent["TemplateParam"]) == {
        "title": "诉求 ZT2026000123 已升级",
        "no": "ZT2026000123",
    }

    rows = {d.channel: d for d in ChannelDelivery.objects.all()}
    assert set(rows) == {Channel.WECOM, Channel.SMS}
    for row in rows.values():
        assert (row.status, row.attempts, row.response_code) in {
            (DeliveryStatus.DELIVERED, 1, "0"),
            (DeliveryStatus.DELIVERED, 1, "OK"),
        }
    assert rows[Channel.SMS].recipient == world["handler"]
    assert retry_channels.call() == 0  # nothing left owed


def test_a_delivery_whose_task_never_ran_is_sent_by_the_sweep(
    platforms, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        notify([world["handler"]], kind="request.assigned", title="派单", url="/requests/8/")
    assert ChannelDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    assert platforms.received["wecom"] == [] and platforms.received["sms"] == []
    assert retry_channels.call() == 2
    assert retry_channels.call() == 0
    assert len(platforms.received["wecom"]) == 1 and len(platforms.received["sms"]) == 1


def test_a_dingtalk_robot_is_signed_and_a_busy_answer_is_retried_with_back_off(
    platforms, world, django_capture_on_commit_callbacks
):
    world["wecom"].delete()
    GroupRobot.objects.create(
        name="黑山县招商群",
        platform=Channel.DINGTALK,
        url=f"{platforms.base}/robot/send?access_token={DING_TOKEN}",
        secret=DING_SECRET,
        region=world["county"],
        message_format=MessageFormat.TEXT,
    )
    platforms.answers["dingtalk"] = [130101]  # 发送太快: rate-limited
    with time_machine.travel(START, tick=False):
        tell(django_capture_on_commit_callbacks, [world["handler"]], kind="project.stalled")
    delivery = ChannelDelivery.objects.get(channel=Channel.DINGTALK)
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.PENDING,
        1,
        "130101",
    )
    assert delivery.next_attempt_at == START + dt.timedelta(seconds=30)
    first = platforms.received["dingtalk"][0]
    assert first["body"] == {
        "msgtype": "text",
        "text": {
            "content": "诉求 ZT2026000123 已升级\n用电报装超过时限，已提请市领导协调。\nhttps://guanjia.example.cn/requests/7/"
        },
    }
    with time_machine.travel(START + dt.timedelta(seconds=20), tick=False):
        assert retry_channels.call() == 0  # not due yet
    with time_machine.travel(START + dt.timedelta(seconds=31), tick=False):
        assert retry_channels.call() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert not platforms.received["sms"]  # SMS only for the kinds chosen ("request.")


def test_a_wrong_dingtalk_secret_fails_at_once_without_retrying(
    platforms, world, django_capture_on_commit_callbacks
):
    world["wecom"].delete()
    GroupRobot.objects.create(
        name="错误加签",
        platform=Channel.DINGTALK,
        url=f"{platforms.base}/robot/send?access_token={DING_TOKEN}",
        secret="SECwrong",
        department=world["land"],
    )
    tell(django_capture_on_commit_callbacks, [world["handler"]], kind="project.stalled")
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        DeliveryStatus.FAILED,
        1,
        "310000",
    )
    assert "310000" in delivery.last_error
    assert retry_channels.call() == 0


def test_a_feishu_robot_is_signed_in_the_body_and_gets_a_markdown_card(
    platforms, world, django_capture_on_commit_callbacks
):
    world["wecom"].delete()
    GroupRobot.objects.create(
        name="飞书群",
        platform=Channel.FEISHU,
        url=f"{platforms.base}/open-apis/bot/v2/hook/{FEISHU_HOOK}",
        secret=FEISHU_SECRET,
        department=world["land"],
    )
    platforms.answers["feishu"] = [11232]  # frequency limited
    tell(django_capture_on_commit_callbacks, [world["handler"]], kind="project.stalled")
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.PENDING, "11232")
    body = platforms.received["feishu"][0]["body"]
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"]["content"] == "诉求 ZT2026000123 已升级"
    assert "https://guanjia.example.cn/requests/7/" in body["card"]["elements"][0]["content"]
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)):
        assert retry_channels.call() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", DeliveryStatus.PENDING),  # flow control: try again
        ("isv.MOBILE_NUMBER_ILLEGAL", DeliveryStatus.FAILED),  # no retry mends the number
        ("isv.SMS_TEMPLATE_ILLEGAL", DeliveryStatus.FAILED),
    ],
)
def test_an_sms_error_code_is_retried_or_fails_as_the_provider_says(
    platforms, world, django_capture_on_commit_callbacks, code, status
):
    world["wecom"].delete()
    platforms.answers["sms"] = [code]
    tell(django_capture_on_commit_callbacks, [world["handler"]])
    delivery = ChannelDelivery.objects.get(channel=Channel.SMS)
    assert (delivery.status, delivery.response_code) == (status, code)
    assert code in delivery.last_error


def test_an_sms_signed_with_the_wrong_secret_is_refused_and_not_retried(
    platforms, world, settings, django_capture_on_commit_callbacks
):
    world["wecom"].delete()
    settings.GUANJIA_SMS_ACCESS_KEY_SECRET = "not-the-secret"
    tell(django_capture_on_commit_callbacks, [world["handler"]])
    delivery = ChannelDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.response_status) == (
        DeliveryStatus.FAILED,
        "SignatureDoesNotMatch",
        400,
    )


def test_the_aliyun_signature_matches_the_documented_example():
    """Aliyun's documentation signs this request with secret "testSecret" (the SendSms
    example of its 签名机制 page): our signer gives its published Signature."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sms.aliyun_signature("testSecret", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_who_gets_what_follows_each_persons_choice_and_the_robots_scope(
    platforms, world, django_capture_on_commit_callbacks
):
    other_dept = DepartmentFactory(name="发改局", region=world["county"])
    quiet = UserFactory(username="quiet", department=world["land"])
    ChannelSettings.objects.create(user=quiet, robot_kinds="", sms_kinds="")
    elsewhere = UserFactory(username="elsewhere", department=other_dept)
    # Only someone in another department, or someone who turned the robot off: no robot post.
    tell(django_capture_on_commit_callbacks, [quiet, elsewhere])
    assert not ChannelDelivery.objects.exists()
    # The handler (in the robot's department, robot on) is told: one post for the group.
    tell(django_capture_on_commit_callbacks, [quiet, elsewhere, world["handler"]])
    assert ChannelDelivery.objects.filter(channel=Channel.WECOM).count() == 1
    assert ChannelDelivery.objects.get(channel=Channel.WECOM).payload["recipients"] == ["李明"]
    # Robots that take other kinds are not posted to.
    world["wecom"].kinds = "project."
    world["wecom"].save()
    tell(django_capture_on_commit_callbacks, [world["handler"]])
    assert ChannelDelivery.objects.filter(channel=Channel.WECOM).count() == 1


def test_a_batch_of_notices_queues_the_channels_once_per_notice(
    platforms, world, django_capture_on_commit_callbacks
):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), batched():
        for i in range(3):
            notify([world["handler"]], kind="request.reminder", title=f"提醒 {i}")
    assert len(platforms.received["wecom"]) == 3
    assert len(platforms.received["sms"]) == 3


def test_without_sms_configured_nothing_is_queued_for_sms(
    platforms, world, settings, django_capture_on_commit_callbacks
):
    settings.GUANJIA_SMS_PROVIDER = ""
    tell(django_capture_on_commit_callbacks, [world["handler"]])
    assert list(ChannelDelivery.objects.values_list("channel", flat=True)) == [Channel.WECOM]


def test_the_outbox_metrics_count_channel_deliveries_pending_and_failed(
    platforms, world, django_capture_on_commit_callbacks
):
    platforms.answers["wecom"] = [45009]
    platforms.answers["sms"] = ["isv.MOBILE_NUMBER_ILLEGAL"]
    tell(django_capture_on_commit_callbacks, [world["handler"]])
    figures = {
        (labels.get("channel"), labels["status"]): value
        for name, _help, labels, value in outbox()
        if name == "guanjia_channel_deliveries"
    }
    assert figures[("wecom", "pending")] == 1
    assert figures[("sms", "failed")] == 1
    assert figures[("dingtalk", "pending")] == 0


# --- the person's channels page ------------------------------------------------------------


def test_a_person_chooses_channels_and_a_bad_phone_is_refused(client, platforms):
    user = UserFactory(username="steward1", role=Role.STEWARD)
    client.force_login(user)
    url = reverse("notifications:channels")
    page = client.get(url)
    assert page.status_code == 200
    bad = client.post(url, {"sms_phone": "12345", "sms_kinds": ["request."]})
    assert bad.status_code == 400
    assert "mainland mobile number" in bad.content.decode()
    assert not ChannelSettings.objects.filter(user=user).exists()
    missing = client.post(url, {"sms_phone": "", "sms_kinds": ["request."]})
    assert missing.status_code == 400
    done = client.post(
        url,
        {
            "sms_phone": "+86 139-1234-5678",
            "sms_kinds": ["request.", "project."],
            "robot_kinds": [],
        },
    )
    assert done.status_code == 302
    row = ChannelSettings.objects.get(user=user)
    assert (row.sms_phone, row.sms_kinds, row.robot_kinds) == (
        "13912345678",
        "project.,request.",
        "",
    )
    entry = AuditEntry.objects.get(object_type="notifications.channelsettings")
    assert entry.after["sms_phone"] == "139****5678"
    assert "13912345678" not in json.dumps(entry.after)
    again = client.get(url)
    assert 'value="13912345678"' in again.content.decode()


def test_a_visitor_is_sent_to_log_in_from_the_channels_page(client):
    response = client.get(reverse("notifications:channels"))
    assert response.status_code == 302


def test_a_city_admin_adds_a_robot_and_its_secret_is_never_shown_again(client, platforms):
    county = RegionFactory(code="210727", name="义县")
    client.force_login(UserFactory(username="cityadmin", role=Role.CITY_ADMIN))
    add = reverse("admin:notifications_grouprobot_add")
    response = client.post(
        add,
        {
            "name": "义县钉钉群",
            "platform": "dingtalk",
            "url": f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}",
            "secret": DING_SECRET,
            "region": county.pk,
            "kinds": "",
            "message_format": "markdown",
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    robot = GroupRobot.objects.get()
    assert robot.secret == DING_SECRET
    change = reverse("admin:notifications_grouprobot_change", args=[robot.pk])
    page = client.get(change).content.decode()
    assert DING_SECRET not in page and DING_TOKEN not in page
    listing = client.get(reverse("admin:notifications_grouprobot_changelist")).content.decode()
    assert DING_TOKEN not in listing and "oapi.dingtalk.com" in listing
    # Saved again with the secret fields blank: both kept.
    response = client.post(
        change,
        {
            "name": "义县钉钉群（改名）",
            "platform": "dingtalk",
            "url": "",
            "secret": "",
            "region": county.pk,
            "kinds": "request.",
            "message_format": "text",
            "active": "on",
        },
    )
    assert response.status_code == 302
    robot.refresh_from_db()
    assert (robot.secret, robot.name) == (DING_SECRET, "义县钉钉群（改名）")
    assert DING_TOKEN in robot.url
    for entry in AuditEntry.objects.filter(object_type="notifications.grouprobot"):
        dumped = json.dumps([entry.before, entry.after], ensure_ascii=False)
        assert DING_SECRET not in dumped and DING_TOKEN not in dumped


def test_an_sms_template_with_a_bad_variable_is_refused_in_the_admin(client):
    client.force_login(UserFactory(username="cityadmin", role=Role.CITY_ADMIN))
    response = client.post(
        reverse("admin:notifications_smstemplate_add"),
        {"kind": "request.", "code": "SMS_1", "params": "title=subject", "active": "on"},
    )
    assert response.status_code == 200
    assert "the source is one of" in response.content.decode()
    assert not SmsTemplate.objects.exists()


def test_robot_signatures_follow_the_platforms_recipes():
    # 钉钉: base64(HMAC-SHA256(key=secret, msg="timestamp\nsecret")), url-encoded in the query.
    url, _raw = robots.signed_request(
        Channel.DINGTALK, "https://oapi.dingtalk.com/robot/send?access_token=t", "SECx", {}, now=1.5
    )
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    expected = base64.b64encode(hmac.new(b"SECx", b"1500\nSECx", hashlib.sha256).digest()).decode()
    assert query == {"access_token": "t", "timestamp": "1500", "sign": expected}
    # 飞书: base64(HMAC-SHA256(key="timestamp\nsecret", msg="")) in the body, seconds.
    _url, raw = robots.signed_request(
        Channel.FEISHU, "https://open.feishu.cn/x", "k", {"a": 1}, now=7.9
    )
    body = json.loads(raw)
    assert body["timestamp"] == "7"
    assert (
        body["sign"] == base64.b64encode(hmac.new(b"7\nk", b"", hashlib.sha256).digest()).decode()
    )
    # 企业微信: no signing.
    url, raw = robots.signed_request(Channel.WECOM, "https://qyapi.weixin.qq.com/x?key=k", "", {})
    assert url.endswith("?key=k") and json.loads(raw) == {}


def test_phone_numbers_are_validated_as_mainland_mobiles():
    assert sms.normalise_phone("13812345678") == "13812345678"
    assert sms.normalise_phone("+86 138 1234 5678") == "13812345678"
    assert sms.normalise_phone("12812345678") is None
    assert sms.normalise_phone("0416-1234567") is None
    assert channels.max_attempts() == 6


def test_the_channel_retry_sweep_runs_every_minute():
    from guanjia.core.scheduling import REGISTRY

    assert REGISTRY[retry_channels.module_path].every == dt.timedelta(seconds=60)


def test_the_account_page_leads_to_the_channels_and_sms_start_on_the_accounts_phone(client):
    user = UserFactory(username="steward2", role=Role.STEWARD, phone="13800001111")
    client.force_login(user)
    account = client.get(reverse("accounts:account")).content.decode()
    assert reverse("notifications:channels") in account
    page = client.get(reverse("notifications:channels")).content.decode()
    assert 'value="13800001111"' in page
