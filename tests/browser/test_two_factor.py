"""Two-factor log-in in a browser, on a phone: a role that must use it is sent to enrol (the
QR code is an inline SVG), then every log-in asks for the code; a lock-out is explained."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from guanjia.accounts.models import Role, TwoFactorRequirement

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_enrol_then_verify_on_a_phone(phone, shot, users):
    TwoFactorRequirement.objects.create(role=Role.STEWARD)
    log_in(phone, "t_steward")
    assert "/account/two-factor/" in phone.url
    expect(phone.locator("#otp-qr svg")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    shot(phone, "two-factor-enrol")
    device = TOTPDevice.objects.get(user=users["steward"], confirmed=False)
    phone.fill("#id_token", code(device))
    with phone.expect_navigation():
        phone.click("button[type=submit]")
    assert phone.url.endswith("/projects/")

    phone.context.clear_cookies()
    log_in(phone, "t_steward")
    assert "/account/two-factor/verify/" in phone.url
    # A code is good once: forget the step used at enrolment so the same 30 s code passes.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    device.refresh_from_db()
    phone.fill("#id_token", code(device))
    with phone.expect_navigation():
        phone.click("button[type=submit]")
    assert phone.url.endswith("/projects/")


def test_a_lock_out_is_explained(page, shot, users):
    for _ in range(5):
        log_in(page, "t_admin", "not-the-password")
    log_in(page, "t_admin")
    expect(page.locator("#locked-out")).to_be_visible()
    expect(page.locator("#locked-out .error")).to_contain_text("15")
    assert page.locator("#id_password").count() == 0
    shot(page, "login-locked-out")


WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def test_the_security_pages_run_under_the_content_security_policy(page, users, own_enterprise):
    from django.contrib.auth.models import Permission

    from guanjia.testing.factories import ContactFactory

    admin = users["admin"]
    admin.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    contact = ContactFactory(enterprise=own_enterprise, phone="13800005678")
    page.add_init_script(WATCH)
    log_in(page, "t_admin")
    for url in ("/account/", "/account/two-factor/", "/account/password/", "/account/audit/"):
        page.goto(url)
        assert page.evaluate("window.__cspViolations") == [], url
    page.goto(f"/enterprises/{own_enterprise.pk}/")
    expect(page.locator(f"#contact-{contact.pk}-phone")).to_contain_text("138****5678")
    page.locator(f"#contact-{contact.pk}-phone button").click()
    expect(page.locator(f"#contact-{contact.pk}-phone")).to_contain_text("13800005678")
    assert page.evaluate("window.__cspViolations") == []
