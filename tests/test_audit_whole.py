"""The audit log stays whole: users are deactivated, never deleted (so who did what is never
blanked out), the database refuses to delete a user who acted and, on PostgreSQL, to TRUNCATE
the log; exporting the log is a POST."""

import pytest
from django.contrib.messages import get_messages
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test import Client
from django.urls import reverse

from guanjia.accounts.models import ApiToken, Role, User, UserDeletionRefused
from guanjia.core.audit import record
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.testing.factories import EnterpriseFactory, UserFactory
from tests.conftest import PASSWORD

CHANGELIST = "/admin/accounts/user/"


@pytest.fixture
def acted(users):
    """A steward who changed something (their audit entry names them), logged in in a
    browser and holding an API token."""
    steward = users["steward"]
    entry = record(steward, AuditAction.UPDATE, EnterpriseFactory(), note="by the steward")
    browser = Client()
    assert browser.login(username=steward.username, password=PASSWORD)
    assert browser.get("/projects/").status_code == 200
    _, raw = ApiToken.issue(steward, "sync")
    return {"user": steward, "entry": entry, "browser": browser, "token": raw}


def _still_theirs(acted):
    entry = AuditEntry.objects.get(pk=acted["entry"].pk)
    return entry.actor_id == acted["user"].pk


def _shut_out(acted):
    user = User.objects.get(pk=acted["user"].pk)
    gone = acted["browser"].get("/projects/")
    return (
        not user.is_active
        and gone.status_code == 302
        and gone.url.startswith("/login/")
        and ApiToken.objects.user_for(acted["token"]) is None
    )


# --- users are deactivated, never deleted ------------------------------------------------


def test_deactivating_shuts_the_user_out_and_is_audited(acted, users):
    assert acted["user"].deactivate(users["admin"]) is True
    assert _shut_out(acted) and _still_theirs(acted)
    entry = AuditEntry.objects.filter(object_type="accounts.user").latest("id")
    assert entry.actor == users["admin"] and entry.after == {"is_active": False}
    assert "1 API token(s) revoked, 1 session(s) ended" in entry.note
    # Idempotent: a second call changes nothing and writes nothing.
    count = AuditEntry.objects.count()
    assert acted["user"].deactivate(users["admin"]) is False
    assert AuditEntry.objects.count() == count


def test_delete_on_a_user_deactivates_instead(acted):
    assert acted["user"].delete() == (0, {})
    assert User.objects.filter(pk=acted["user"].pk).exists()
    assert _shut_out(acted) and _still_theirs(acted)


def test_a_bulk_delete_of_users_is_refused_and_deletes_nothing(acted, users):
    before = User.objects.count()
    # A user who acted: the audit log's actor column protects them.
    with pytest.raises(ProtectedError, match="AuditEntry.actor"), transaction.atomic():
        User.objects.filter(role=Role.STEWARD).delete()
    # Even a user who never did anything: the refusal is for every user.
    idle = UserFactory(username="never_acted")
    with (
        pytest.raises(UserDeletionRefused, match="deactivated, never deleted"),
        transaction.atomic(),
    ):
        User.objects.filter(pk=idle.pk).delete()
    assert User.objects.count() == before + 1 and _still_theirs(acted)


@pytest.mark.django_db(transaction=True)
def test_the_database_refuses_to_delete_a_user_who_acted(users):
    """Below the application (raw SQL, a console): the audit log's actor column protects the
    user on SQLite and PostgreSQL alike, where SQLite used to blank it out and PostgreSQL
    answered the delete with a 500."""
    steward = users["steward"]
    entry = record(steward, AuditAction.UPDATE, EnterpriseFactory(), note="kept")
    with pytest.raises(IntegrityError), transaction.atomic():
        connection.cursor().execute("DELETE FROM accounts_user WHERE id = %s", [steward.pk])
    assert AuditEntry.objects.get(pk=entry.pk).actor_id == steward.pk
    assert User.objects.filter(pk=steward.pk).exists()


# --- the admin offers deactivation -----------------------------------------------------------


@pytest.fixture
def admin_client(users):
    client = Client(headers={"accept-language": "en"})  # the messages' English text
    client.force_login(users["admin"])
    return client


def test_the_admin_offers_deactivate_not_delete(admin_client, acted, users):
    page = admin_client.get(CHANGELIST)
    actions = [value for value, _label in page.context["action_form"].fields["action"].choices]
    assert "deactivate_users" in actions and "delete_selected" not in actions
    change = admin_client.get(f"{CHANGELIST}{acted['user'].pk}/change/")
    assert f"{acted['user'].pk}/delete/" not in change.content.decode()

    done = admin_client.post(
        CHANGELIST, {"action": "deactivate_users", "_selected_action": [acted["user"].pk]}
    )
    assert done.status_code == 302
    assert _shut_out(acted) and _still_theirs(acted)
    entry = AuditEntry.objects.filter(object_type="accounts.user").latest("id")
    assert entry.actor == users["admin"] and entry.note.endswith("admin")
    messages = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("1 user deactivated" in m for m in messages)


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_admin_delete_page_refuses_with_a_message_not_a_500(admin_client, acted, method):
    url = f"{CHANGELIST}{acted['user'].pk}/delete/"
    response = getattr(admin_client, method)(url, {"post": "yes"} if method == "post" else None)
    assert response.status_code == 302
    assert response.url == f"{CHANGELIST}{acted['user'].pk}/change/"
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("never deleted" in m for m in messages)
    user = User.objects.get(pk=acted["user"].pk)
    assert user.is_active and _still_theirs(acted)
    # A user id that does not exist: back to the list, still no 500.
    missing = getattr(admin_client, method)(f"{CHANGELIST}999999/delete/")
    assert missing.status_code == 302 and missing.url == CHANGELIST


# --- TRUNCATE ----------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
@pytest.mark.parametrize(
    "sql",
    [
        "TRUNCATE core_auditentry",
        "TRUNCATE TABLE ONLY core_auditentry RESTART IDENTITY",
        # Truncating the users cascades into the log, which refuses the whole statement.
        "TRUNCATE accounts_user CASCADE",
    ],
)
def test_on_postgresql_truncate_of_the_audit_log_is_refused(acted, sql):
    count = AuditEntry.objects.count()
    with pytest.raises(DatabaseError, match="TRUNCATE is refused"), transaction.atomic():
        cursor = connection.cursor()
        # The test's rows are not committed yet: run their deferred foreign-key checks now,
        # as a commit would, or PostgreSQL refuses the TRUNCATE for that reason instead.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql)
    assert AuditEntry.objects.count() == count and count > 0


# --- the export is a POST ----------------------------------------------------------------


def test_the_export_is_a_post_with_the_csrf_token(users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["admin"])
    page = client.get(reverse("accounts:audit_log"))
    html = page.content.decode()
    action = reverse("accounts:audit_export")
    assert f'<form method="post" class="card" action="{action}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    count = AuditEntry.objects.count()
    refused = client.get(action, {"format": "csv"})
    assert refused.status_code == 405 and refused["Allow"] == "POST"
    assert client.post(action, {"format": "csv"}).status_code == 403  # no CSRF token
    assert AuditEntry.objects.count() == count  # neither wrote an export entry
    token = page.context["csrf_token"]
    done = client.post(action, {"format": "csv", "csrfmiddlewaretoken": str(token)})
    assert done.status_code == 200 and done["Content-Type"].startswith("text/csv")
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT).count() == 1


def test_a_bad_filter_is_the_page_with_the_error(users):
    client = Client()
    client.force_login(users["admin"])
    response = client.post(reverse("accounts:audit_export"), {"start": "not a date"})
    assert response.status_code == 400
    assert response.context["form"].errors["start"]
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()
