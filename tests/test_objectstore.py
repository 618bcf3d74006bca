"""The private store in object storage (issue 20, item 1): with GUANJIA_S3_* set, every
private file (request attachments, imports, reports, policy documents, approval commitments)
lives in an S3 bucket, read and written through Django's storage API, streamed to users
through the same access checks as before, never public; backups carry the bucket; /readyz
checks it.

Every test runs against a real S3-compatible server, SeaweedFS on loopback (the `s3_store`
fixture, tests/conftest.py), which checks every request's signature.
"""

import datetime as dt
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import xlsxwriter
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from guanjia.accounts.models import Role
from guanjia.approvals.models import ApprovalItem
from guanjia.core import backup, files, health
from guanjia.core.models import ImportJob, ImportStatus, ScheduledJob
from guanjia.core.objectstore import s3_storage
from guanjia.core.tasks import heartbeat
from guanjia.policies.models import Policy, PolicyDocument
from guanjia.projects.models import Project
from guanjia.reports import services as report_services
from guanjia.reports.models import Report, ReportStatus
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category, ServiceRequest
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory
from guanjia.testing.seaweedfs import BUCKET, REGION

pytestmark = [pytest.mark.s3, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def upload(name: str, data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def in_bucket(store, folder: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name in files.walk(store) if name.startswith(f"{folder}/")]


def object_url(seaweedfs, store, name: str) -> str:  # type: ignore[no-untyped-def]
    return f"{seaweedfs.endpoint}/{BUCKET}/{store.location}/{name}"


# --- The settings ---------------------------------------------------------------------------------


def _settings_with(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = "import guanjia.settings as s; print(s.STORAGES.get('private', {}).get('BACKEND'))"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def test_the_s3_settings_choose_the_bucket_and_half_of_them_refuse_to_start(seaweedfs):
    done = _settings_with(seaweedfs.env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "storages.backends.s3.S3Storage"
    assert _settings_with({}).stdout.strip() == "None"  # the local folder by default

    done = _settings_with({"GUANJIA_S3_BUCKET": "guanjia"})
    assert done.returncode != 0 and "GUANJIA_S3_ACCESS_KEY" in done.stderr
    done = _settings_with({"GUANJIA_S3_ENDPOINT_URL": seaweedfs.endpoint})
    assert done.returncode != 0 and "without GUANJIA_S3_BUCKET" in done.stderr


# --- Request attachments --------------------------------------------------------------------------


@pytest.fixture
def request_world(users, linghai, heishan, own_enterprise):  # type: ignore[no-untyped-def]
    load_categories()
    steward = UserFactory(username="s3_steward", role=Role.STEWARD, region=linghai)
    own_enterprise.steward = steward
    own_enterprise.save()
    other = EnterpriseFactory(name="黑山另一家企业有限公司", region=heishan)
    return {
        **users,
        "steward": steward,
        "other_contact": UserFactory(username="s3_other", role=Role.ENTERPRISE, enterprise=other),
        "project": ProjectFactory(enterprise=own_enterprise, region=linghai, steward=steward),
    }


def test_an_attachment_goes_to_the_bucket_and_back_only_to_who_may_see_it(
    s3_store, seaweedfs, request_world
):
    w = request_world
    client = Client()
    client.force_login(w["enterprise"])
    response = client.post(
        reverse("requests:new"),
        {
            "category": Category.objects.get(code="land").pk,
            "project": w["project"].pk,
            "title": "规划条件迟迟未出",
            "text": "项目已摘地三个月，规划条件仍未出具。",
            "attachments": [upload("土地证.pdf")],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    sr = ServiceRequest.objects.get()
    attachment = sr.attachments.get()
    assert in_bucket(s3_store, "attachments") == [f"attachments/{attachment.file.name}"]
    url = reverse("requests:attachment", args=[sr.pk, attachment.pk])

    for who, status in (("enterprise", 200), ("steward", 200), ("other_contact", 404)):
        reader = Client()
        reader.force_login(w[who])
        got = reader.get(url)
        assert got.status_code == status, who
        if status == 200:
            assert b"".join(got.streaming_content) == PDF
            assert got["Content-Type"] == "application/pdf"
            assert got["Cache-Control"] == "private, no-store"
    assert Client().get(url).status_code == 302  # to the log-in

    # The bucket itself answers nobody who does not sign with its keys.
    for anonymous in (
        object_url(seaweedfs, s3_store, f"attachments/{attachment.file.name}"),
        f"{seaweedfs.endpoint}/{BUCKET}",
        f"{seaweedfs.endpoint}/{BUCKET}?list-type=2",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(anonymous, timeout=5)  # noqa: S310 (loopback)
        assert refused.value.code == 403, anonymous


def test_the_private_store_gives_no_url_and_a_wrong_key_is_refused(s3_store, seaweedfs):
    doc = PolicyDocument()
    files.store(doc.file, "pdf", upload("指南.pdf"))
    with pytest.raises(ValueError):
        doc.file.url  # noqa: B018
    wrong = s3_storage(
        bucket=BUCKET,
        access_key=seaweedfs.access_key,
        secret_key="not-the-secret",  # noqa: S106
        endpoint_url=seaweedfs.endpoint,
        region=REGION,
        location=s3_store.location,
    )
    from storages.backends.s3 import S3Storage

    with pytest.raises(Exception, match="403|SignatureDoesNotMatch|AccessDenied"):
        S3Storage(**wrong["OPTIONS"]).open(f"attachments/{doc.file.name}").read()


# --- Imports: stored in the bucket, read by the worker's task --------------------------------------


def test_an_import_file_is_kept_in_the_bucket_and_read_by_the_task(
    s3_store, users, regions, industries, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "台账.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("台账")
    for r, row in enumerate(
        [["项目名称", "企业名称", "所属县区"], ["凌海对象存储项目", "甲公司", "凌海市"]]
    ):
        sheet.write_row(r, 0, row)
    book.close()
    client = Client()
    client.force_login(users["admin"])
    with (
        override_settings(TASKS=IMMEDIATE),
        path.open("rb") as f,
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(reverse("projects:import_start"), {"file": f})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.VALIDATED, job.result
    assert in_bucket(s3_store, "imports") == [f"imports/{job.file.name}"]
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("projects:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTED, job.result
    assert list(Project.objects.values_list("name", flat=True)) == ["凌海对象存储项目"]


# --- Reports, policy documents, approval commitments ------------------------------------------------


def test_a_report_is_stored_in_the_bucket_and_downloaded_by_who_may(s3_store, users, city):
    report = Report.objects.create(
        kind="weekly",
        period_start=dt.date(2023, 3, 20),
        period_end=dt.date(2023, 3, 26),
        region=city,
    )
    report_services.generate(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.error
    assert sorted(in_bucket(s3_store, "reports")) == sorted(
        f"reports/{getattr(report, fmt).name}" for fmt in ("pdf", "docx", "xlsx")
    )
    url = reverse("reports:download", args=[report.pk, "pdf"])
    for who, status in (("admin", 200), ("official", 404), ("enterprise", 403)):
        client = Client()
        client.force_login(users[who])
        got = client.get(url)
        assert got.status_code == status, who
        if status == 200:
            assert b"".join(got.streaming_content).startswith(b"%PDF")


def test_policy_documents_round_trip_through_the_pages(
    s3_store, client, users, django_capture_on_commit_callbacks
):
    client.force_login(users["admin"])
    fields = {"title": "新能源补助", "issuer": "锦州市发改委", "combine": "all", "active": "on"}
    response = client.post("/policies/new/", fields | {"documents": [upload("申报指南.pdf")]})
    assert response.status_code == 302
    doc = Policy.objects.get().documents.get()
    assert in_bucket(s3_store, "attachments") == [f"attachments/{doc.file.name}"]
    download = client.get(f"/policies/documents/{doc.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/policies/documents/{doc.pk}/remove/", {"reason": "已过期", "confirm": "on"})
    assert in_bucket(s3_store, "attachments") == []


def test_an_approval_commitment_is_kept_in_the_bucket(s3_store):
    item = ApprovalItem()
    files.store(item.commitment, "pdf", upload("承诺书.pdf"))
    assert in_bucket(s3_store, "attachments") == [f"attachments/{item.commitment.name}"]
    assert item.commitment.name.startswith("approvals/")
    with files.local_copy(item.commitment) as path, open(path, "rb") as copy:
        assert copy.read() == PDF  # a library that needs a file name gets a temporary copy


# --- Backups and readiness ----------------------------------------------------------------------------


def test_a_backup_carries_the_bucket_and_a_restore_puts_it_back(s3_store, tmp_path):
    doc = PolicyDocument()
    files.store(doc.file, "pdf", upload("指南.pdf"))
    report = Report()
    report.pdf.save("x.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
    archive = tmp_path / "private.tar.gz"
    backup.save_private(archive)

    files.delete(doc.file)
    files.delete(report.pdf)
    assert list(files.walk(s3_store)) == []
    backup.restore_private(archive)
    assert doc.file.storage.open(doc.file.name).read() == PDF
    assert report.pdf.storage.open(report.pdf.name).read() == b"%PDF-1.4 report"


def test_readyz_checks_the_bucket(s3_store, client, settings, monkeypatch):
    monkeypatch.setattr(health, "_fonts", (1e12, True))
    now = timezone.now()
    ScheduledJob.objects.create(
        name=heartbeat.module_path, next_run_at=now + dt.timedelta(seconds=60), last_run_at=now
    )
    response = client.get("/readyz")
    assert (response.status_code, response.json()["storage"]) == (200, "ok")
    assert list(files.walk(s3_store)) == []  # the probe file is gone again

    down = dict(settings.STORAGES["private"])
    down["OPTIONS"] = {**down["OPTIONS"], "endpoint_url": "http://127.0.0.1:1"}
    settings.STORAGES = {**settings.STORAGES, "private": down}
    assert storages["private"].endpoint_url == "http://127.0.0.1:1"
    response = client.get("/readyz")
    assert (response.status_code, response.json()["storage"]) == (503, "fail")
