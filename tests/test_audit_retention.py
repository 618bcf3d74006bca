"""The audit log: kept at least 180 days, purged only past the retention (the PostgreSQL
trigger lets nothing else through), exported by city admins and from the command line."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from python_calamine import CalamineWorkbook

from guanjia.accounts.tasks import purge_audit_log
from guanjia.core import audit
from guanjia.core.audit import record
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.core.scheduling import REGISTRY
from guanjia.testing.factories import EnterpriseFactory


def entry_at(moment, actor=None, obj=None, note=""):
    with time_machine.travel(moment, tick=False):
        return record(actor, AuditAction.UPDATE, obj or EnterpriseFactory(), note=note)


@pytest.fixture
def db_clock(db):
    """Our clock agrees with the database server's, as on a real installation: the PostgreSQL
    trigger judges an entry's age by the server's now(). Under --shift-days only our clock
    moves, so these tests run at the server's time."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (server_now,) = cursor.fetchone()
    with time_machine.travel(server_now, tick=True):
        yield


@pytest.fixture
def aged(users, db_clock):
    now = timezone.now()
    return {
        "old": entry_at(now - dt.timedelta(days=400), users["admin"], note="old"),
        "edge": entry_at(now - dt.timedelta(days=200), users["steward"], note="edge"),
        "new": entry_at(now - dt.timedelta(days=3), users["admin"], note="new"),
    }


def notes():
    return set(AuditEntry.objects.exclude(action=AuditAction.PURGE).values_list("note", flat=True))


def test_the_purge_deletes_only_entries_past_the_retention(aged, settings):
    settings.GUANJIA_AUDIT_RETENTION_DAYS = 365
    assert audit.purge_expired() == 1
    assert notes() >= {"edge", "new"} and "old" not in notes()
    purge = AuditEntry.objects.get(action=AuditAction.PURGE)
    assert purge.after["purged"] == 1 and purge.after["retention_days"] == 365
    assert audit.purge_expired() == 0


def test_the_retention_is_never_below_180_days(aged, settings):
    with pytest.raises(ValueError):
        audit.purge_expired(days=90)
    settings.GUANJIA_AUDIT_RETENTION_DAYS = 100
    with pytest.raises(ValueError):
        audit.retention_days()
    settings.GUANJIA_AUDIT_RETENTION_DAYS = 180
    assert audit.purge_expired() == 2  # 400 and 200 days old
    assert "new" in notes()


def test_a_setting_below_180_days_stops_the_start(monkeypatch):
    import importlib

    import guanjia.settings as mod

    monkeypatch.setenv("GUANJIA_AUDIT_RETENTION_DAYS", "90")
    with pytest.raises(ValueError, match="at least 180"):
        importlib.reload(mod)
    monkeypatch.delenv("GUANJIA_AUDIT_RETENTION_DAYS")
    importlib.reload(mod)


def test_the_purge_runs_daily_from_the_scheduler(aged, settings):
    settings.GUANJIA_AUDIT_RETENTION_DAYS = 365
    job = REGISTRY["guanjia.accounts.tasks.purge_audit_log"]
    assert job.every == dt.timedelta(days=1)
    assert purge_audit_log.call() == 1


def test_the_command_purges(aged, settings):
    settings.GUANJIA_AUDIT_RETENTION_DAYS = 365
    out = io.StringIO()
    call_command("purge_audit", stdout=out)
    assert "1 audit entries" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_on_postgresql_the_trigger_refuses_everything_but_the_purge(aged):
    for sql, args in [
        ("UPDATE core_auditentry SET note = 'x' WHERE id = %s", [aged["new"].pk]),
        ("DELETE FROM core_auditentry WHERE id = %s", [aged["new"].pk]),
        ("DELETE FROM core_auditentry WHERE id = %s", [aged["old"].pk]),  # old, but no purge flag
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            connection.cursor().execute(sql, args)
    # With the flag: a young row is still refused, and the floor is 180 days whatever is set.
    for days in ("365", "1"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor = connection.cursor()
            cursor.execute("SELECT set_config('guanjia.audit_purge', %s, true)", [days])
            cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [aged["new"].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SELECT set_config('guanjia.audit_purge', '365', true)")
        cursor.execute("UPDATE core_auditentry SET note = 'x' WHERE id = %s", [aged["old"].pk])
    # The flag is transaction-local: it does not leak into the next transaction.
    with transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SELECT set_config('guanjia.audit_purge', '365', true)")
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [aged["old"].pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute("DELETE FROM core_auditentry WHERE id = %s", [aged["edge"].pk])


# ----------------------------------------------------------------------------- export


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("official", 403), ("steward", 403), ("handler", 403), ("leader", 403),
     ("enterprise", 403)],
)  # fmt: skip
def test_only_city_admins_export_the_audit_log(client, users, who, status):
    client.force_login(users[who])
    assert client.get("/account/audit/").status_code == status
    assert client.post("/account/audit/export/", {"format": "csv"}).status_code == status


def test_the_export_filters_by_dates_user_and_object(client, users, aged):
    target = aged["edge"]
    client.force_login(users["admin"])
    today = timezone.localdate()
    response = client.post(
        "/account/audit/export/",
        {
            "format": "csv",
            "start": (today - dt.timedelta(days=500)).isoformat(),
            "end": (today - dt.timedelta(days=100)).isoformat(),
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["note"] for r in rows} == {"old", "edge"}
    by_user = client.post("/account/audit/export/", {"format": "csv", "actor": "t_steward"})
    rows = list(csv.DictReader(io.StringIO(by_user.content.decode("utf-8-sig"))))
    assert [r["note"] for r in rows] == ["edge"]
    by_object = client.post(
        "/account/audit/export/",
        {
            "format": "csv",
            "object_type": target.object_type,
            "object_id": target.object_id,
        },
    )
    rows = list(csv.DictReader(io.StringIO(by_object.content.decode("utf-8-sig"))))
    assert [r["note"] for r in rows] == ["edge"]
    # The export itself is in the log.
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=users["admin"]).count() == 3


def test_the_export_as_xlsx(client, users, aged):
    client.force_login(users["admin"])
    response = client.post("/account/audit/export/", {"format": "xlsx", "actor": "t_admin"})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    # The export is logged before it runs, so it lists itself.
    assert rows[0][0] == "id"
    assert {r[10] for r in rows[1:]} == {"old", "new", "audit log exported"}


def test_the_export_command(aged, tmp_path):
    out = io.StringIO()
    call_command("export_audit", str(tmp_path / "a.csv"), "--user", "t_admin", stdout=out)
    assert "2 audit entries" in out.getvalue()
    text = (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert "old" in text and "edge" not in text
    target = aged["edge"]
    call_command(
        "export_audit", str(tmp_path / "b.xlsx"), "--object",
        f"{target.object_type}:{target.object_id}", stdout=out,
    )  # fmt: skip
    assert (tmp_path / "b.xlsx").stat().st_size > 0
