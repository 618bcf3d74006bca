"""The private-file kit (guanjia.core.files) on a store that is not a filesystem.

Every test here runs with `STORAGES["private"]` set to Django's InMemoryStorage, which has
no `path()`: upload, check, serve and delete work through the storage API alone, so the
private store can be object storage (S3 and the like) by a setting.
"""

import io
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from guanjia.core import files
from guanjia.policies.models import Policy, PolicyDocument
from guanjia.reports.models import Report

PDF = b"%PDF-1.4 a policy guide\n%%EOF"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def memory(settings, tmp_path):
    """The private store in memory; the private folder on disk must stay empty."""
    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    store = storages["private"]
    assert isinstance(store, InMemoryStorage)
    yield store
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def upload(name: str = "申报指南.pdf", data: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_the_private_store_has_no_path_and_no_url(memory):
    storage = files.PrivateStorage(folder="reports")
    with pytest.raises(NotImplementedError):
        storage.path("2026/x.pdf")
    with pytest.raises(ValueError):
        storage.url("2026/x.pdf")


def test_a_file_is_checked_stored_served_and_deleted_without_a_filesystem(memory):
    doc = PolicyDocument(name="申报指南.pdf")  # no row is needed to keep a file
    document = upload("..\\..\\申报指南.hta")  # a PDF under a hostile name
    kind, sha256, original = files.fingerprint(document)
    assert (kind, original, len(sha256)) == ("pdf", "申报指南.pdf", 64)

    files.store(doc.file, kind, document)
    stored = doc.file.name
    # A random name in the app's folder of the private store; the original name is data.
    assert stored.startswith("policies/") and stored.endswith(".pdf") and "申报" not in stored
    assert memory.exists(f"attachments/{stored}")
    assert doc.file.storage.size(stored) == len(PDF)

    response = files.serve(doc.file, original)
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "filename*=utf-8''%E7%94%B3%E6%8A%A5%E6%8C%87%E5%8D%97.pdf"
        in (response["Content-Disposition"])
    )
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"

    files.delete(doc.file)
    assert not memory.exists(f"attachments/{stored}")


def test_images_are_shown_inline_and_a_stored_file_is_typed_by_its_content(memory):
    doc = PolicyDocument()
    files.store(doc.file, "png", upload("图.png", PNG))
    response = files.serve(doc.file, "图.pdf")  # the stored name says PDF, the bytes say PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert ".png" in response["Content-Disposition"]


def test_a_failed_block_removes_what_it_stored(memory):
    doc = PolicyDocument()
    with pytest.raises(RuntimeError), files.removed_on_failure():
        files.store(doc.file, "pdf", upload())
        assert doc.file.storage.exists(doc.file.name)
        raise RuntimeError("the step failed")
    assert not doc.file.storage.exists(doc.file.name)


def test_a_deletion_on_commit_waits_for_the_commit(memory, db, django_capture_on_commit_callbacks):
    doc = PolicyDocument()
    files.store(doc.file, "pdf", upload())
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        files.delete_on_commit(doc.file)
        raise RuntimeError("rolled back")
    assert callbacks == [] and doc.file.storage.exists(doc.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        files.delete_on_commit(doc.file)
    assert not doc.file.storage.exists(doc.file.name)


def _macro_docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/vbaProject.bin" '
            'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/vbaProject.bin", b"\x00" * 16)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "limit", "words"),
    [
        (b"MZ\x90\x00 a program", None, "不是 PDF、JPG、PNG、DOCX 或 XLSX 文件"),
        (PDF, 10, "单个文件不得超过"),
        (_macro_docx(), None, "宏"),
    ],
    ids=["not-a-document", "too-big", "macros"],
)
def test_refused_content_is_a_clear_translated_error_and_stores_nothing(memory, data, limit, words):
    with translation.override("zh-hans"), pytest.raises(files.FileRefused) as refused:
        files.check(upload("材料.pdf", data), max_bytes=limit)
    message = " ".join(refused.value.messages)
    assert "“材料.pdf”" in message and words in message
    assert memory.listdir("") == ([], [])


def test_the_serving_view_signs_in_and_delegates_access_to_the_owning_app(memory, users):
    doc = PolicyDocument()
    files.store(doc.file, "pdf", upload())
    allowed = {users["admin"].pk}

    def find(request, pk):  # the owning app's access rule and look-up
        if request.user.pk not in allowed:
            raise Http404("no such document")
        return files.Served(doc.file, "申报指南.pdf")

    view = files.serving_view(find, methods=["GET"])
    factory = RequestFactory()

    request = factory.get("/f/1/")
    request.user = AnonymousUser()
    assert view(request, pk=1).status_code == 302  # to the sign-in page

    request = factory.get("/f/1/")
    request.user = users["official"]
    with pytest.raises(Http404):
        view(request, pk=1)

    request = factory.post("/f/1/")
    request.user = users["admin"]
    assert view(request, pk=1).status_code == 405

    request = factory.get("/f/1/")
    request.user = users["admin"]
    response = view(request, pk=1)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_policy_documents_round_trip_through_the_pages_in_memory(
    client, users, memory, django_capture_on_commit_callbacks
):
    client.force_login(users["admin"])
    fields = {"title": "新能源补助", "issuer": "锦州市发改委", "combine": "all", "active": "on"}
    response = client.post("/policies/new/", fields | {"documents": [upload()]})
    assert response.status_code == 302
    doc = Policy.objects.get().documents.get()
    assert memory.exists(f"attachments/{doc.file.name}")

    download = client.get(f"/policies/documents/{doc.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/policies/documents/{doc.pk}/remove/", {"reason": "已过期", "confirm": "on"})
    assert not memory.exists(f"attachments/{doc.file.name}")


def test_report_files_keep_their_own_folder(memory):
    report = Report()
    report.pdf.save("x.pdf", ContentFile(PDF), save=False)
    assert memory.exists(f"reports/{report.pdf.name}")
    response = files.serve(report.pdf, "周报.pdf", kind="pdf")
    assert b"".join(response.streaming_content) == PDF


def test_a_backup_carries_the_private_store_through_the_storage_api(memory, tmp_path_factory):
    from guanjia.core import backup

    doc, report = PolicyDocument(), Report()
    files.store(doc.file, "pdf", upload())
    report.pdf.save("x.pdf", ContentFile(b"%PDF-1.4 report"), save=False)
    archive = tmp_path_factory.mktemp("backup") / "private.tar.gz"
    backup.save_private(archive)

    files.delete(doc.file)
    files.delete(report.pdf)
    assert list(files.walk(memory)) == []
    backup.restore_private(archive)
    assert doc.file.storage.open(doc.file.name).read() == PDF
    assert report.pdf.storage.open(report.pdf.name).read() == b"%PDF-1.4 report"


def test_a_library_that_reads_by_file_name_gets_a_temporary_local_copy(memory):
    doc = PolicyDocument()
    files.store(doc.file, "pdf", upload())
    with files.local_copy(doc.file) as path:
        assert path.endswith(".pdf")
        with open(path, "rb") as copy:
            assert copy.read() == PDF
    assert not Path(path).exists()
