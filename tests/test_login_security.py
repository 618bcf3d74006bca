"""Log-in hardening: Argon2, the password policy (ASVS, 等保 mode), lock-out, session
timeouts, TOTP two-factor and the gate that sends people to it."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanjia.accounts import security
from guanjia.accounts.models import Role, TwoFactorRequirement, User
from guanjia.core.models import AuditAction, AuditEntry
from tests.conftest import PASSWORD

LOGIN = "/login/"


def post_login(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def code(device: TOTPDevice, offset: int = 0) -> str:
    return (
        f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset):06d}"
    )


# ----------------------------------------------------------------------------- hashing


def test_argon2_hashes_new_passwords_and_pbkdf2_upgrades_at_log_in(client, users, settings):
    from django.conf import settings as live

    settings.PASSWORD_HASHERS = live.PASSWORD_HASHERS  # conftest's fast hasher off
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user = users["steward"]
    user.set_password("a-new-long-password")
    assert user.password.startswith("argon2$argon2id$")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert post_login(client, "t_steward").status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")


def test_the_settings_put_argon2_first():
    from guanjia import settings as mod

    assert mod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert "PBKDF2PasswordHasher" in mod.PASSWORD_HASHERS[1]


# ----------------------------------------------------------------------------- policy


@pytest.mark.parametrize(
    "password, ok",
    [
        ("short-pass1", False),  # 11 characters
        ("correct horse battery", True),  # long, no composition rules needed
        ("alllowercaseletters", True),
        ("ab" * 64, True),  # 128 allowed
        ("ab" * 64 + "c", False),  # 129 too long
        ("password1234", False),  # common
        ("123456789012345", False),  # numeric
    ],
)
def test_asvs_policy_by_default(db, password, ok):
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def dengbao_validators():
    return [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
         "OPTIONS": {"min_length": 8}},
        {"NAME": "guanjia.accounts.security.MaximumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
        {"NAME": "guanjia.accounts.security.ComplexityValidator"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    "password, ok",
    [
        ("Jz2023ok", True),  # 8, three classes
        ("jz2023!ok", True),  # lower, digit, other
        ("jinzhouabcdefgh", False),  # one class
        ("jinzhou2023xx", False),  # two classes
        ("Jz20!a", False),  # too short
    ],
)
def test_dengbao_mode_wants_three_classes(db, settings, password, ok):
    settings.AUTH_PASSWORD_VALIDATORS = dengbao_validators()
    if ok:
        validate_password(password)
    else:
        with pytest.raises(ValidationError):
            validate_password(password)


def test_dengbao_mode_sends_an_old_password_to_be_changed(client, users, settings):
    settings.GUANJIA_DENGBAO = True
    settings.AUTH_PASSWORD_VALIDATORS = dengbao_validators()
    user = users["official"]
    with time_machine.travel(timezone.now() - dt.timedelta(days=91)):
        user.set_password(PASSWORD)
        user.save()
    assert post_login(client, "t_official").status_code == 302
    page = client.get("/projects/")
    assert page.status_code == 302 and page.url.startswith(reverse("accounts:password_change"))
    assert client.get(reverse("accounts:password_change")).status_code == 200
    done = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "Jz-2026-new", "new_password2": "Jz-2026-new"},
    )
    assert done.status_code == 302
    assert client.get("/projects/").status_code == 200
    user.refresh_from_db()
    assert not security.password_expired(user)


def test_without_dengbao_mode_passwords_do_not_expire(users, settings):
    settings.GUANJIA_DENGBAO = False
    user = users["official"]
    user.password_changed_at = timezone.now() - dt.timedelta(days=1000)
    assert not security.password_expired(user)


# ----------------------------------------------------------------------------- lock-out


def test_five_failures_lock_the_account_for_15_minutes(client, users):
    for i in range(5):
        assert post_login(client, "t_admin", "wrong", ip=f"10.1.0.{i}").status_code in (200, 429)
    refused = post_login(client, "t_admin", ip="10.9.9.9")  # right password, other address
    assert refused.status_code == 429
    assert "15" in refused.content.decode()
    assert "locked-out" in refused.content.decode()
    # Another account from the same addresses is not locked.
    assert post_login(client, "t_steward", ip="10.9.9.9").status_code == 302
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert post_login(client, "t_admin", ip="10.9.9.8").status_code == 302


def test_the_lock_outs_429_says_when_to_try_again(client, users):
    """Retry-After is the time left of the cool-off: 15 minutes at the fifth failure, less
    later, for the account's lock and for the address's."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for i in range(4):
            post_login(client, "t_admin", "wrong", ip=f"10.1.1.{i}")
        fifth = post_login(client, "t_admin", "wrong", ip="10.1.1.9")
    assert fifth.status_code == 429 and fifth["Retry-After"] == str(15 * 60)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        later = post_login(client, "t_admin", ip="10.1.1.10")
        assert later.status_code == 429 and later["Retry-After"] == str(5 * 60)
        for name in ["b1", "b2", "b3", "b4", "b5"]:
            post_login(client, name, "wrong", ip="10.1.2.1")
        address = post_login(client, "t_steward", ip="10.1.2.1")
    assert address.status_code == 429 and address["Retry-After"] == str(15 * 60)
    # The admin site's log-in is the same lock-out with the same answer.
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        admin = client.post(
            "/admin/login/", {"username": "t_admin", "password": PASSWORD}, REMOTE_ADDR="10.1.1.11"
        )
    assert admin.status_code == 429 and admin["Retry-After"] == str(4 * 60)


def test_five_failures_from_one_address_lock_that_address(client, users):
    for name in ["a1", "a2", "a3", "a4", "a5"]:
        post_login(client, name, "wrong", ip="10.2.0.1")
    assert post_login(client, "t_admin", ip="10.2.0.1").status_code == 429
    assert post_login(client, "t_admin", ip="10.2.0.2").status_code == 302


def test_the_lock_out_message_is_in_the_users_language(client, users):
    for _ in range(5):
        post_login(client, "t_admin", "wrong")
    zh = post_login(client, "t_admin").content.decode()
    client.cookies["django_language"] = "en"
    en = client.post(
        LOGIN, {"username": "t_admin", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()  # fmt: skip
    assert "Log-in is locked after 5 failed attempts" in en
    assert zh != en


def test_an_admin_unlocks_an_account(client, users):
    for _ in range(5):
        post_login(client, "t_admin", "wrong")
    assert AccessAttempt.objects.exists()
    from axes.utils import reset

    reset(username="t_admin")
    assert post_login(client, "t_admin").status_code == 302


def test_failures_older_than_the_cool_off_do_not_count(client, users):
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=20)):
        for _ in range(4):
            post_login(client, "t_admin", "wrong")
    post_login(client, "t_admin", "wrong")
    assert post_login(client, "t_admin").status_code == 302


def test_the_test_client_login_still_works(client, users):
    assert client.login(username="t_admin", password=PASSWORD)
    assert client.get("/projects/").status_code == 200


# ----------------------------------------------------------------------------- sessions


def test_idle_for_30_minutes_logs_out(client, users):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(users["admin"])
        assert client.get("/projects/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        assert client.get("/projects/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=58), tick=False):
        assert client.get("/projects/").status_code == 200  # 29 min since the last request
    with time_machine.travel(start + dt.timedelta(minutes=89), tick=False):
        gone = client.get("/projects/")
        assert gone.status_code == 302 and gone.url.startswith("/login/")
        assert client.get("/projects/").status_code == 302


def test_a_session_ends_12_hours_after_log_in_however_busy(client, users):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(users["admin"])
    for minutes in range(20, 12 * 60, 20):
        with time_machine.travel(start + dt.timedelta(minutes=minutes), tick=False):
            assert client.get("/projects/").status_code == 200, minutes
    with time_machine.travel(start + dt.timedelta(hours=12, minutes=5), tick=False):
        gone = client.get("/projects/")
        assert gone.status_code == 302 and gone.url.startswith("/login/")


def test_an_expired_session_is_anonymous_to_the_api(client, users):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(users["admin"])
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        assert client.get("/api/v1/regions").status_code == 401


# ----------------------------------------------------------------------------- two-factor


def enrol(client, user: User) -> TOTPDevice:
    page = client.get(reverse("accounts:otp_enrol"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    done = client.post(reverse("accounts:otp_enrol"), {"token": code(device)})
    assert done.status_code == 302, done.content.decode()
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_enrol_then_log_in_asks_for_the_code(client, users):
    user = users["steward"]
    client.force_login(user)
    device = enrol(client, user)
    assert AuditEntry.objects.filter(object_type="otp_totp.totpdevice").exists()
    client.logout()

    assert post_login(client, "t_steward").status_code == 302
    page = client.get("/projects/")
    assert page.status_code == 302
    assert page.url.startswith(reverse("accounts:otp_verify"))
    assert client.get("/api/v1/regions").status_code == 401  # not logged in until verified
    wrong = client.post(
        reverse("accounts:otp_verify"),
        {"token": "000000" if code(device) != "000000" else "111111"},
    )
    assert wrong.status_code == 200 and "errorlist" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post(
        reverse("accounts:otp_verify") + "?next=/projects/", {"token": code(device, 1)}
    )
    assert ok.status_code == 302 and ok.url == "/projects/"
    assert client.get("/projects/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=user).exists()


def test_a_role_that_requires_two_factor_is_sent_to_enrol_first(client, users):
    TwoFactorRequirement.objects.create(role=Role.CITY_ADMIN)
    assert post_login(client, "t_admin").status_code == 302
    first = client.get("/projects/")
    assert first.status_code == 302 and first.url.startswith(reverse("accounts:otp_enrol"))
    assert client.get("/admin/").status_code == 302
    enrol(client, users["admin"])
    assert client.get("/projects/").status_code == 200
    # Roles not named still log in with a password alone.
    client.logout()
    assert post_login(client, "t_steward").status_code == 302
    assert client.get("/projects/").status_code == 200


def test_the_account_page(client, users):
    client.force_login(users["leader"])
    page = client.get(reverse("accounts:account"))
    assert page.status_code == 200
    assert 'id="otp-status"' in page.content.decode()


# role → reads the audit log (accounts.access.can_read_audit_log): its link on the account page
# and the page itself agree with the rule.
AUDIT_READERS = {
    "admin": True,
    "official": False,
    "steward": False,
    "handler": False,
    "leader": False,
    "enterprise": False,
}


@pytest.mark.parametrize("who", sorted(AUDIT_READERS))
def test_the_account_page_links_the_audit_log_for_its_readers_only(client, users, who):
    from guanjia.accounts.access import can_read_audit_log

    user = users[who]
    assert can_read_audit_log(user) == AUDIT_READERS[who]
    client.force_login(user)
    page = client.get(reverse("accounts:account")).content.decode()
    assert (f'href="{reverse("accounts:audit_log")}"' in page) == AUDIT_READERS[who]
    assert client.get(reverse("accounts:audit_log")).status_code == (
        200 if AUDIT_READERS[who] else 403
    )


def test_a_superuser_reads_the_audit_log_whatever_their_role(client, users):
    from guanjia.accounts.access import can_read_audit_log

    user = users["leader"]
    user.is_superuser = True
    user.save()
    assert can_read_audit_log(user)
    client.force_login(user)
    assert client.get(reverse("accounts:audit_log")).status_code == 200


@pytest.mark.parametrize("who", ["admin", "official", "steward", "handler", "leader", "enterprise"])
def test_every_role_reaches_its_own_security_pages(client, users, who):
    client.force_login(users[who])
    for name in ("account", "otp_enrol", "password_change", "otp_verify"):
        assert client.get(reverse(f"accounts:{name}")).status_code == 200, name


def test_anonymous_is_sent_to_log_in(client, db):
    for name in ("account", "otp_enrol", "password_change", "otp_verify", "audit_log"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302 and response.url.startswith("/login/"), name


def test_the_device_secret_stays_out_of_the_audit_log(client, users):
    client.force_login(users["steward"])
    device = enrol(client, users["steward"])
    entry = AuditEntry.objects.get(object_type="otp_totp.totpdevice")
    assert "key" not in (entry.after or {}) and device.key not in str(entry.after)


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("official", 302), ("steward", 302), ("leader", 302), ("enterprise", 302)],
)
def test_city_admins_see_lock_outs_and_devices_in_the_configuration(client, users, who, status):
    for _ in range(5):
        post_login(client, "someone", "wrong", ip="10.4.0.1")
    client.force_login(users[who])
    assert client.get("/admin/axes/accessattempt/").status_code == status
    assert client.get("/admin/otp_totp/totpdevice/").status_code == status


def test_deleting_the_lock_out_row_unlocks_and_is_audited(client, users):
    for _ in range(5):
        post_login(client, "t_steward", "wrong", ip="10.5.0.1")
    assert post_login(client, "t_steward", ip="10.5.0.9").status_code == 429
    admin_client = type(client)()
    admin_client.force_login(users["admin"])
    # One row per lock-out parameter (the account, the address): delete the account's.
    for attempt in AccessAttempt.objects.filter(username="t_steward"):
        url = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
        done = admin_client.post(url, {"post": "yes", "reason": "本人来电确认"})
        assert done.status_code == 302
    deletions = AuditEntry.objects.filter(
        action=AuditAction.DELETE, object_type="axes.accessattempt"
    )
    assert deletions and all("本人来电确认" in entry.note for entry in deletions)
    assert post_login(client, "t_steward", ip="10.5.0.9").status_code == 302
