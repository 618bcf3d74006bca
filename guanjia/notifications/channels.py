"""More channels on the outbox: group robots (企业微信, 钉钉, 飞书) and SMS.

`notify` calls `queue` inside the change's transaction: one pending `ChannelDelivery` per group
robot whose department or area holds a recipient who takes that kind on the robot channel, and
one per recipient who takes it by SMS (a phone given, SMS configured, a template for the kind).
Like the webhooks, the task queued on commit tries each delivery once, and the sweep every
minute retries what is due: after 30 s, 1 min, 2 min, … (GUANJIA_CHANNEL_RETRY_SECONDS) until
GUANJIA_CHANNEL_MAX_ATTEMPTS tries. A platform's refusal that no retry can mend (a wrong key or
signature, an illegal number, an unapproved template) fails the delivery at once. Claiming is
the webhooks' lease: one conditional UPDATE, so two workers never send one attempt twice; a
worker that dies mid-attempt leaves the lease to run out and the sweep sends again (at least
once). Every attempt is kept on the row (attempts, the platform's code, the last error), which
city admins read in the admin, and /metrics counts the pending and failed ones.
"""

import datetime as dt
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import timezone

from . import robots, sms
from .models import (
    Channel,
    ChannelDelivery,
    ChannelSettings,
    DeliveryStatus,
    GroupRobot,
    SmsTemplate,
    wants,
)
from .webhooks import OUTSIDE

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
LEASE = dt.timedelta(minutes=5)
SWEEP_BUDGET_SECONDS = 45
SWEEP_BATCH = 100
# Without a ChannelSettings row: every kind the robots take, nothing by SMS.
DEFAULT_ROBOT_KINDS = "*"


def max_attempts() -> int:
    return int(getattr(settings, "GUANJIA_CHANNEL_MAX_ATTEMPTS", 6))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed try: 30 s, 1 min, 2 min, 4 min, ..."""
    base = int(getattr(settings, "GUANJIA_CHANNEL_RETRY_SECONDS", 30))
    return dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


class Config:
    """The active robots and SMS templates, looked up once (per `notify`, or per batch)."""

    def __init__(self) -> None:
        active = GroupRobot.objects.filter(active=True)
        # Whether there is any robot at all is kept in the cache (`webhooks.OUTSIDE`).
        self.robots = (
            list(active.select_related("region")) if OUTSIDE.cached("robots", active.exists) else []
        )
        self.templates = list(SmsTemplate.objects.filter(active=True)) if sms.configured() else []

    @property
    def empty(self) -> bool:
        return not self.robots and not self.templates

    def template_for(self, kind: str) -> SmsTemplate | None:
        """The template of the longest kind prefix that matches."""
        matches = [t for t in self.templates if kind.startswith(t.kind)]
        return max(matches, key=lambda t: len(t.kind)) if matches else None


def _in_scope(robot: GroupRobot, user: Any, region_paths: dict[int, str]) -> bool:
    if robot.department_id is not None and user.department_id == robot.department_id:
        return True
    if robot.region is not None and user.region_id is not None:
        return region_paths.get(user.region_id, "").startswith(robot.region.path)
    return False


def queue(
    kind: str, payload: dict[str, Any], people: Iterable[Any], config: Config | None = None
) -> list[ChannelDelivery]:
    """Create the pending deliveries this event owes (call inside the event's transaction)."""
    config = config or Config()
    if config.empty:
        return []
    people = list(people)
    chosen = {s.user_id: s for s in ChannelSettings.objects.filter(user__in=[u.pk for u in people])}
    now = timezone.now()
    rows: list[ChannelDelivery] = []
    template = config.template_for(kind)
    if template is not None:
        for user in people:
            choice = chosen.get(user.pk)
            if (
                choice is None
                or not choice.sms_phone
                or not wants(choice.sms_kinds, kind, empty=False)
            ):
                continue
            rows.append(
                ChannelDelivery(
                    channel=Channel.SMS,
                    recipient=user,
                    phone=choice.sms_phone,
                    notification_kind=kind,
                    payload={
                        "template": template.code,
                        "params": sms.fill(template.params, payload),
                    },
                    next_attempt_at=now,
                )
            )
    robots_wanted = [r for r in config.robots if r.wants(kind)]
    if robots_wanted:
        from guanjia.regions.models import Region

        region_ids = {u.region_id for u in people if u.region_id is not None}
        paths = dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "path"))
        for robot in robots_wanted:
            takers = [
                u
                for u in people
                if _in_scope(robot, u, paths)
                and wants(
                    chosen[u.pk].robot_kinds if u.pk in chosen else DEFAULT_ROBOT_KINDS,
                    kind,
                    empty=False,
                )
            ]
            if takers:
                rows.append(
                    ChannelDelivery(
                        channel=robot.platform,
                        robot=robot,
                        notification_kind=kind,
                        payload={**payload, "recipients": [str(u) for u in takers]},
                        next_attempt_at=now,
                    )
                )
    return ChannelDelivery.objects.bulk_create(rows) if rows else []


def claim(delivery_id: int, now: dt.datetime | None = None) -> ChannelDelivery | None:
    """Take a due pending delivery for one attempt; None if it is not due or already taken."""
    now = now or timezone.now()
    taken = ChannelDelivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not taken:
        return None
    return ChannelDelivery.objects.select_related("robot").get(pk=delivery_id)


def attempt(delivery: ChannelDelivery) -> str:
    """Send a claimed delivery once and record the outcome; returns the new status."""
    if delivery.channel == Channel.SMS:
        return _attempt_sms(delivery)
    robot = delivery.robot
    if robot is None or not robot.active:
        return _finish(delivery, ok=False, retry=False, error="robot removed or deactivated")
    body = robots.message(robot.platform, robot.message_format, delivery.payload)
    url, raw = robots.signed_request(robot.platform, robot.url, robot.secret, body)
    status, answer, error = _post(url, raw)
    outcome = robots.judge(robot.platform, status, answer, error)
    return _finish(
        delivery,
        ok=outcome.ok,
        retry=outcome.retry,
        code=outcome.code,
        status=outcome.status,
        error=outcome.error,
    )


def _attempt_sms(delivery: ChannelDelivery) -> str:
    if not sms.configured():
        return _finish(delivery, ok=False, retry=False, error="SMS is not configured")
    payload = delivery.payload
    result = sms.provider().send(
        delivery.phone, str(payload["template"]), dict(payload["params"]), out_id=str(delivery.pk)
    )
    error = "" if result.ok else f"{result.code or 'error'}: {result.message}"
    return _finish(
        delivery,
        ok=result.ok,
        retry=result.retry,
        code=result.code,
        status=result.status,
        error=error,
    )


def sweep() -> int:
    """Claim and try every due pending delivery (the periodic retry); returns how many tried."""
    started = time.monotonic()
    tried = 0
    for pk in (
        ChannelDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    ):
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
        delivery = claim(pk)
        if delivery is not None:
            try:
                attempt(delivery)
            except Exception:  # one bad row must not stop the sweep; its lease runs out
                logger.exception("channel delivery %s failed", pk)
            tried += 1
    return tried


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _post(url: str, body: bytes) -> tuple[int | None, bytes, str]:
    """POST JSON; (HTTP status, answer body, error) — status None when nothing answered."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return None, b"", "not an http(s) URL"
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Guanjia/1"},
        method="POST",
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return int(response.status), response.read(65536), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536), f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, b"", f"{type(exc).__name__}: {reason}"


def _finish(
    delivery: ChannelDelivery,
    *,
    ok: bool,
    retry: bool,
    code: str = "",
    status: int | None = None,
    error: str = "",
) -> str:
    now = timezone.now()
    delivery.attempts += 1
    delivery.response_status = status
    delivery.response_code = code[:60]
    delivery.last_error = error[:2000]
    if ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
    elif not retry or delivery.attempts >= max_attempts():
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "response_status",
            "response_code",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )
    if not ok:
        logger.warning(
            "channel delivery %s (%s) try %s: %s",
            delivery.pk,
            delivery.channel,
            delivery.attempts,
            error,
        )
    return delivery.status
