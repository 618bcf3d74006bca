"""Contacts' resident ID numbers (居民身份证号码): checked (GB 11643-1999), masked wherever
contacts are shown, revealed only through the audited unmask (as phones are), and never
written to the audit log in full."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from guanjia.core.models import AuditAction, AuditEntry
from guanjia.enterprises import idnumber, services
from guanjia.enterprises.models import Contact
from guanjia.testing.factories import ContactFactory, EnterpriseFactory

from .conftest import grant

FULL = "21078119900307001X"


@pytest.fixture(autouse=True)
def english():
    """The messages are asserted in English (the catalogue has them in Chinese too)."""
    from django.utils import translation

    with translation.override("en"):
        yield


MASKED = "210781********001X"
TODAY = dt.date(2026, 11, 28)


# --- The check ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("11010519491231002X", None),  # the standard's own example
        ("210702198001011235", None),
        (FULL, None),
        ("21078119900307001x", None),  # a lowercase x is the X
        (" 210781 19900307 001X ", None),  # spaces are dropped
        ("210781199003070011", "the check character (character 18) is “1” but should be “X”"),
        ("210702198001011234", "is “4” but should be “5”"),
        (
            "210702198002301231",
            "characters 7–14 must be the birth date (YYYYMMDD), found “19800230”",
        ),
        ("210702180001011235", "found “18000101”"),  # before 1900
        ("210702202712011235", "found “20271201”"),  # not born yet
        ("21070219800101123", "an ID number has 18 characters, this one has 17"),
        ("2107021980010112355", "this one has 19"),
        ("210702800101123", "this one has 15"),  # the old 15-digit number
        ("", "this one has 0"),
        ("21070219800101X235", "character 15 is “X”; an ID number is 17 digits followed by"),
        ("２１０７０２１９８００１０１１２３５", "character 1 is “２”"),  # full-width digits
    ],
)
def test_the_check(value, problem):
    found = idnumber.problems(value, today=TODAY)
    if problem is None:
        assert found == []
    else:
        assert found and problem in " ".join(found)


def test_a_wrong_date_and_check_character_are_both_named():
    found = idnumber.problems("210702198013011235", today=TODAY)
    assert len(found) == 2 and "birth date" in found[0] and "check character" in found[1]


def test_the_contact_keeps_a_lowercase_x_as_x_and_refuses_a_bad_number(own_enterprise):
    contact = services.add_contact(own_enterprise, None, name="王法人", id_number=FULL.lower())
    contact.refresh_from_db()
    assert contact.id_number == FULL
    with pytest.raises(ValidationError) as caught:
        services.add_contact(own_enterprise, None, name="李法人", id_number="210702198001011234")
    assert "id_number" in caught.value.message_dict
    assert "“5”" in caught.value.message_dict["id_number"][0]  # the expected check character
    assert not Contact.objects.filter(name="李法人").exists()
    # Optional: a contact without one is fine.
    assert services.add_contact(own_enterprise, None, name="赵经理").id_number == ""


def test_masks():
    assert idnumber.mask_id_number(FULL) == MASKED
    contact = Contact(id_number=FULL)
    assert contact.masked_id_number == MASKED
    assert Contact(id_number="").masked_id_number == ""


# --- Masked wherever contacts are shown -----------------------------------------------------


@pytest.fixture
def contact(users, own_enterprise):
    own_enterprise.steward = users["steward"]
    own_enterprise.save()
    return ContactFactory(enterprise=own_enterprise, name="王法人", id_number=FULL)


def reveal_url(contact):
    return f"/account/reveal/contact/{contact.pk}/id_number/"


@pytest.mark.parametrize("who", ["admin", "official", "steward", "leader", "enterprise"])
def test_pages_lists_and_the_api_show_it_masked(client, users, contact, who):
    client.force_login(users[who])
    page = client.get(f"/enterprises/{contact.enterprise_id}/").content.decode()
    assert MASKED in page and FULL not in page
    assert reveal_url(contact) not in page  # no permission, no button
    assert FULL not in client.get("/enterprises/").content.decode()
    body = client.get(f"/api/v1/enterprises/{contact.enterprise_id}").json()
    assert [c["id_number"] for c in body["contacts"]] == [MASKED]


def test_the_api_schema_says_it_is_masked(client, users):
    client.force_login(users["admin"])
    schema = client.get("/api/v1/openapi.json").json()
    field = schema["components"]["schemas"]["ContactOut"]["properties"]["id_number"]
    assert "masked" in field["description"]


# --- Revealed through the audited unmask (by role: tests/test_masking.py) -----------------


def test_reveal_outside_the_scope_is_not_found(client, users, heishan):
    elsewhere = ContactFactory(enterprise=EnterpriseFactory(region=heishan), id_number=FULL)
    client.force_login(grant(users["official"]))
    assert client.post(reveal_url(elsewhere)).status_code == 404
    client.force_login(grant(users["enterprise"]))
    assert client.post(reveal_url(elsewhere)).status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


# --- Never in full in the audit log ---------------------------------------------------------


def test_the_audit_log_keeps_it_masked_but_sees_a_change(own_enterprise, users):
    admin = users["admin"]
    contact = services.add_contact(own_enterprise, admin, name="王法人", id_number=FULL)
    created = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="enterprises.contact")
    assert FULL not in str(created.after)
    assert created.after["id_number"].startswith(MASKED + " #")
    # A change of the birth date only: the masked value is the same, the entry still shows it.
    other = next(
        n
        for day in range(1, 29)
        if (n := idnumber.make_id_number(f"210781199003{day:02d}001")) != FULL
        and idnumber.mask_id_number(n) == MASKED
    )
    from guanjia.core.audit import audited_save

    contact.id_number = other
    audited_save(contact, admin)
    updated = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="enterprises.contact")
    assert set(updated.after) == {"id_number"}
    assert updated.before["id_number"] != updated.after["id_number"]
    assert FULL not in str(updated.before) and other not in str(updated.after)


def test_the_configuration_form_never_shows_it_in_full(client, users, contact):
    admin = users["admin"]  # a city admin, not a superuser: the inline is granted by role
    client.force_login(admin)
    url = f"/admin/enterprises/enterprise/{contact.enterprise_id}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="contacts-0-id_number"' in html
    assert FULL not in html and MASKED in html  # as the placeholder


def test_the_configuration_form_keeps_replaces_or_refuses(contact):
    from guanjia.enterprises.admin import ContactForm

    data = {"name": contact.name, "phone": contact.phone, "id_number": ""}
    form = ContactForm(data, instance=contact)
    assert form.is_valid() and not form.has_changed()
    form.save()
    contact.refresh_from_db()
    assert contact.id_number == FULL  # left empty: kept
    form = ContactForm({**data, "id_number": "11010519491231002x"}, instance=contact)
    assert form.is_valid()
    form.save()
    contact.refresh_from_db()
    assert contact.id_number == "11010519491231002X"
    form = ContactForm({**data, "id_number": "110105194912310021"}, instance=contact)
    assert not form.is_valid()
    assert "“X”" in form.errors["id_number"][0]  # names the expected check character


def _admin_post_data(page) -> dict:  # type: ignore[no-untyped-def]
    """The admin change form's own values, as the browser would post them back."""
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        data[name] = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = str(value)
        for row in formset.initial_forms:
            for name in row.fields:
                value = row[name].value()
                if value is not None and value is not False:
                    data[row.add_prefix(name)] = str(value)
    return data


def test_contacts_changed_in_the_configuration_are_audited(client, users, contact):
    from guanjia.core.models import AuditAction, AuditEntry

    client.force_login(users["admin"])
    url = f"/admin/enterprises/enterprise/{contact.enterprise_id}/change/"
    data = _admin_post_data(client.get(url))
    data["contacts-0-phone"] = "13900001111"
    data["contacts-TOTAL_FORMS"] = "2"
    data["contacts-1-name"] = "李财务"
    data["contacts-1-phone"] = "13800002222"
    data["contacts-1-enterprise"] = str(contact.enterprise_id)
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    changed = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(contact.pk),
                                     object_type="enterprises.contact")  # fmt: skip
    assert changed.actor == users["admin"] and changed.after["phone"] == "13900001111"
    added = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="enterprises.contact")
    assert added.actor == users["admin"] and added.note == "admin"
