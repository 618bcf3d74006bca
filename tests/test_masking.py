"""Personal data: phones and ID numbers masked in lists, pages and exports; the unmask
permission reveals one value at a time, and every reveal is audited."""

import pytest

from guanjia.accounts.masking import mask_id_number, mask_phone
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.testing.factories import ContactFactory, EnterpriseFactory

from .conftest import grant

FULL = "13800005678"
MASKED = "138****5678"
ID_FULL = "21078119900307001X"
# field -> (the contact's value, what the reveal shows)
REVEALABLE = {"phone": FULL, "id_number": ID_FULL}


def test_masks():
    assert mask_phone(FULL) == MASKED
    assert mask_id_number("21070219800101123X") == "210702********123X"
    assert mask_id_number("210702800101123") == "210702*****1123"
    assert mask_id_number("12345") == "*****"


@pytest.fixture
def contact(users, own_enterprise):
    own_enterprise.steward = users["steward"]
    own_enterprise.save()
    return ContactFactory(enterprise=own_enterprise, phone=FULL, id_number=ID_FULL)


def reveal_url(contact, field="phone"):
    return f"/account/reveal/contact/{contact.pk}/{field}/"


@pytest.mark.parametrize("who", ["admin", "official", "steward", "leader", "enterprise"])
def test_pages_and_lists_show_masked_phones_by_default(client, users, contact, who):
    client.force_login(users[who])
    page = client.get(f"/enterprises/{contact.enterprise_id}/").content.decode()
    assert MASKED in page and FULL not in page
    assert reveal_url(contact) not in page  # no permission, no button
    listing = client.get("/enterprises/").content.decode()
    assert FULL not in listing


def test_the_api_masks_phones(client, users, contact):
    client.force_login(users["admin"])
    body = client.get(f"/api/v1/enterprises/{contact.enterprise_id}").content.decode()
    assert FULL not in body


@pytest.mark.parametrize("field", list(REVEALABLE))
def test_with_the_permission_one_click_reveals_and_audits(client, users, contact, field):
    admin = grant(users["admin"])
    client.force_login(admin)
    page = client.get(f"/enterprises/{contact.enterprise_id}/").content.decode()
    assert reveal_url(contact, field) in page and REVEALABLE[field] not in page
    revealed = client.post(reveal_url(contact, field))
    assert revealed.status_code == 200
    assert REVEALABLE[field] in revealed.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert entry.actor == admin
    assert (entry.object_type, entry.object_id) == ("enterprises.contact", str(contact.pk))
    assert entry.after == {"field": field}


# role x expected status for POST /account/reveal/contact/<pk>/phone/ (own_enterprise is in
# 凌海市, the official's area, and the steward serves it; outside a scope it is 404, see below).
@pytest.mark.parametrize(
    ("who", "granted", "status"),
    [
        ("admin", False, 403),
        ("admin", True, 200),
        ("official", True, 200),
        ("official", False, 403),
        ("steward", True, 200),
        ("steward", False, 403),
        ("handler", True, 200),  # handlers read their area (the city)
        ("handler", False, 403),
        ("leader", True, 200),
        ("leader", False, 403),
        ("enterprise", True, 200),  # their own enterprise's contact
        ("enterprise", False, 403),
    ],
)
@pytest.mark.parametrize("field", list(REVEALABLE))
def test_reveal_by_role(client, users, contact, who, granted, status, field):
    user = grant(users[who]) if granted else users[who]
    client.force_login(user)
    response = client.post(reveal_url(contact, field))
    assert response.status_code == status
    assert (REVEALABLE[field] in response.content.decode()) == (status == 200)
    assert AuditEntry.objects.filter(action=AuditAction.UNMASK).count() == (status == 200)


def test_reveal_outside_the_scope_or_by_get_is_refused(client, users, contact):
    other = ContactFactory(enterprise=EnterpriseFactory(), phone="13900001111")
    enterprise = grant(users["enterprise"])
    client.force_login(enterprise)
    assert client.post(reveal_url(other)).status_code == 404
    assert client.get(reveal_url(contact)).status_code == 405
    assert client.post("/account/reveal/contact/1/email/").status_code == 404
    assert client.post("/account/reveal/nothing/1/phone/").status_code == 404


def test_an_official_cannot_reveal_outside_their_area(client, users, heishan):
    elsewhere = ContactFactory(enterprise=EnterpriseFactory(region=heishan), phone="13900002222")
    client.force_login(grant(users["official"]))
    assert client.post(reveal_url(elsewhere)).status_code == 404


def test_anonymous_reveal_goes_to_log_in(client, contact):
    response = client.post(reveal_url(contact))
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_staff_phones_are_revealed_to_city_admins_only(client, users):
    users["steward"].phone = "13700001234"
    users["steward"].save()
    url = f"/account/reveal/user/{users['steward'].pk}/phone/"
    client.force_login(grant(users["official"]))
    assert client.post(url).status_code == 404
    client.force_login(grant(users["admin"]))
    assert "13700001234" in client.post(url).content.decode()


def test_the_template_filters():
    from django.template import Context, Template

    html = Template("{% load masking %}{{ p|mask_phone }} {{ i|mask_id_number }}").render(
        Context({"p": FULL, "i": "21070219800101123X"})
    )
    assert html == f"{MASKED} 210702********123X"
