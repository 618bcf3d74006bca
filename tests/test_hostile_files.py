"""Hostile files (issue 13, item 5): zip bombs, lying zip headers, macros under innocent names
and PDFs under script names, through every upload path; and an import whose worker died.

Every hostile file is built here, small on disk: a bomb is a few hundred KB that would unpack
to hundreds of MB.
"""

import datetime as dt
import functools
import io
import struct
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from guanjia.core import uploads
from guanjia.core.models import ImportJob, ImportStatus
from guanjia.core.sheets import jobs as import_jobs
from guanjia.notifications.models import Notification
from guanjia.projects.importers import ProjectImporter
from guanjia.projects.models import Project
from guanjia.requests import attachments
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Attachment, Category, ServiceRequest
from guanjia.testing.factories import ProjectFactory

MB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
DOCX_MAIN = uploads.WORD_MAIN
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
VBA = "application/vnd.ms-office.vbaProject"


@pytest.fixture(autouse=True)
def english(settings, tmp_path):
    # The assertions read the English msgids; one test reads the Chinese ones on purpose.
    settings.LANGUAGE_CODE = "en"
    settings.GUANJIA_PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"


# --- Building the files ----------------------------------------------------------------------


def content_types(overrides: dict[str, str]) -> str:
    items = "".join(f'<Override PartName="/{p}" ContentType="{t}"/>' for p, t in overrides.items())
    return (
        f'<Types xmlns="{CT_NS}"><Default Extension="xml" ContentType="application/xml"/>'
        f'<Default Extension="rels" '
        f'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>{items}</Types>'
    )


def docx(*, main: str = DOCX_MAIN, extra: dict[str, tuple[str, bytes]] | None = None) -> bytes:
    """A minimal Word package; `extra` adds parts: name -> (content type, bytes)."""
    extra = extra or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = {"word/document.xml": main} | {n: t for n, (t, _b) in extra.items() if t}
        archive.writestr("[Content_Types].xml", content_types(overrides))
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Target="word/document.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml",
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>锦州项目</w:t></w:r></w:p></w:body></w:document>",
        )
        for name, (_type, data) in extra.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@functools.cache
def docm_renamed(variant: str) -> bytes:
    """A macro-enabled Word file named .docx whose vbaProject.bin is renamed `data1.dat`.

    "main": its main part still says macro-enabled; "part": the main part was relabelled as a
    plain document, but the renamed part is declared a VBA project; "rels": no content type
    gives it away, only the relationship that points at the macro part."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = AutoOpen" * 20
    if variant == "main":
        return docx(main=DOCM_MAIN, extra={"word/data1.dat": ("", ole)})
    if variant == "part":
        return docx(extra={"word/data1.dat": (VBA, ole)})
    rels = (
        f'<Relationships xmlns="{REL_NS}"><Relationship Id="rId9" Type="{VBA_REL}" '
        'Target="data1.dat"/></Relationships>'
    )
    return docx(extra={"word/data1.dat": ("", ole), "word/_rels/document.xml.rels": ("", rels)})


def xlsx(rows: list[list[object]], *, macros: bool = False) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    if not macros:
        return buffer.getvalue()
    # Re-label the workbook macro-enabled and add a VBA project under another name.
    source = zipfile.ZipFile(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(uploads.EXCEL_MAIN.encode(), XLSM_MAIN.encode())
            archive.writestr(info.filename, data)
        archive.writestr("xl/macro.bin", b"\xd0\xcf\x11\xe0 VBA")
    return out.getvalue()


@functools.cache
def bomb(kind: str = "xlsx", unpacked: int = 300 * MB) -> bytes:
    """A valid-looking package with one part of `unpacked` bytes of repeated XML, packed
    about 1000 to 1 (streamed: it never sits whole in memory)."""
    buffer = io.BytesIO()
    main, part = (
        (uploads.EXCEL_MAIN, "xl/worksheets/sheet1.xml")
        if kind == "xlsx"
        else (DOCX_MAIN, "word/document.xml")
    )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        target = "xl/workbook.xml" if kind == "xlsx" else part
        archive.writestr("[Content_Types].xml", content_types({target: main}))
        if kind == "xlsx":
            archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open(part, "w", force_zip64=True) as f:
            row = b"<row>" + b'<c t="n"><v>0</v></c>' * 4096 + b"</row>"
            for _ in range(unpacked // len(row)):
                f.write(row)
    return buffer.getvalue()


@functools.cache
def lying(claimed: int, unpacked: int, *, compressible: bool) -> bytes:
    """An .xlsx whose sheet's local header and central directory both claim `claimed`
    bytes (and the CRC of those bytes) while its data unpacks to `unpacked`."""
    if compressible:
        data = b"<c><v>1</v></c>" * (unpacked // 15)
    else:
        import random

        rnd = random.Random(13)
        data = bytes(rnd.choice(b"0123456789<>/cv") for _ in range(unpacked))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", content_types({"xl/workbook.xml": uploads.EXCEL_MAIN})
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", data)
    raw = bytearray(buffer.getvalue())
    import zlib

    fake_crc = zlib.crc32(data[:claimed])
    offset = 0
    while (offset := raw.find(b"PK\x03\x04", offset)) != -1:
        name_len = struct.unpack_from("<H", raw, offset + 26)[0]
        if raw[offset + 30 : offset + 30 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<L", raw, offset + 14, fake_crc)
            struct.pack_into("<L", raw, offset + 22, claimed)
        offset += 4
    offset = 0
    while (offset := raw.find(b"PK\x01\x02", offset)) != -1:
        name_len = struct.unpack_from("<H", raw, offset + 28)[0]
        if raw[offset + 46 : offset + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<L", raw, offset + 16, fake_crc)
            struct.pack_into("<L", raw, offset + 24, claimed)
        offset += 4
    return bytes(raw)


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


# --- The checks themselves ---------------------------------------------------------------------


def test_a_real_ledger_workbook_passes_and_is_told_apart_by_its_content_type():
    data = xlsx([["项目名称", "企业名称"], *[[f"项目{i}", "锦州某公司"] for i in range(2000)]])
    report = uploads.check_office(io.BytesIO(data), "台账.xlsx")
    assert report.kind == "xlsx" and not report.macro_parts
    assert report.unpacked > len(data)
    assert uploads.check_office(io.BytesIO(docx()), "说明.docx").kind == "docx"


def test_a_bomb_is_refused_by_its_declared_size_with_the_default_limits():
    data = bomb(unpacked=300 * MB)
    assert len(data) < 1 * MB  # small on disk

    with pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_office(io.BytesIO(data), "bomb.xlsx")

    assert "bomb.xlsx" in str(refused.value)
    assert "at most 200.0 MB per part" in str(refused.value)


def test_a_bomb_under_the_size_limits_is_refused_by_its_ratio():
    data = bomb(unpacked=20 * MB)
    with pytest.raises(uploads.UploadRefused, match=r"compressed \d+ to 1; at most 100 to 1"):
        uploads.check_office(io.BytesIO(data), "bomb.xlsx")


def test_the_limits_are_settings(settings):
    data = xlsx([["a"] * 20 for _ in range(3000)])
    settings.GUANJIA_UPLOAD_MAX_UNPACKED_BYTES = 100 * 1024
    with pytest.raises(uploads.UploadRefused, match="at most 100 KB unpacked"):
        uploads.check_office(io.BytesIO(data), "a.xlsx")
    settings.GUANJIA_UPLOAD_MAX_UNPACKED_BYTES = 256 * MB
    settings.GUANJIA_UPLOAD_MAX_MEMBERS = 5
    with pytest.raises(uploads.UploadRefused, match="holds 10 parts; at most 5"):
        uploads.check_office(io.BytesIO(data), "a.xlsx")


def test_a_lying_header_is_caught_by_really_unpacking_and_reading_stops_at_the_limit():
    # It claims 1 KB; its data unpacks to 50 MB at ~1000:1. The declared figures pass, the
    # streamed unpacking stops at the ratio limit (after ~1 MB of output, not 50 MB).
    liar = lying(1024, 50 * MB, compressible=True)
    infos = {i.filename: i for i in zipfile.ZipFile(io.BytesIO(liar)).infolist()}
    assert infos["xl/worksheets/sheet1.xml"].file_size == 1024
    with pytest.raises(uploads.UploadRefused, match="compressed .* to 1"):
        uploads.check_office(io.BytesIO(liar), "liar.xlsx")
    # Within every limit, the lie itself is named.
    modest = lying(1024, 200 * 1024, compressible=False)
    with pytest.raises(uploads.UploadRefused, match="does not match its content"):
        uploads.check_office(io.BytesIO(modest), "liar.xlsx")


@pytest.mark.parametrize("variant", ["main", "part", "rels"])
def test_a_renamed_macro_part_is_found_by_content_type(variant):
    data = docm_renamed(variant)
    assert "word/vbaProject.bin" not in zipfile.ZipFile(io.BytesIO(data)).namelist()
    with pytest.raises(uploads.UploadRefused, match="contains macros"):
        uploads.check_office(io.BytesIO(data), "申请.docx")
    assert attachments.sniff(io.BytesIO(data)) is None


def test_a_dtd_in_an_office_part_is_refused_before_parsing():
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Types>&b;</Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", laughs)
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(uploads.UploadRefused, match="cannot be read"):
        uploads.check_office(buffer, "a.docx")


def test_the_refusal_is_in_the_user_s_language():
    from django.utils.translation import override

    with override("zh-hans"), pytest.raises(uploads.UploadRefused) as refused:
        uploads.check_office(io.BytesIO(docm_renamed("part")), "申请.docx")
    assert "宏" in str(refused.value) and "申请.docx" in str(refused.value)


# --- Attachments: refused, or served under a name that matches their content ----------------


@pytest.fixture
def request_world(users, linghai, own_enterprise):
    load_categories()
    own_enterprise.steward = users["steward"]
    own_enterprise.save()
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=users["steward"])
    return {**users, "project": project}


def submit(client, world, files):
    client.force_login(world["enterprise"])
    return client.post(
        reverse("requests:new"),
        {
            "category": Category.objects.get(code="land").pk,
            "project": world["project"].pk,
            "title": "规划条件迟迟未出",
            "text": "项目已摘地三个月，规划条件仍未出具。",
            "attachments": files,
        },
    )


@pytest.mark.parametrize(
    "name, data, says",
    [
        ("说明.docx", bomb("docx", 300 * MB), "per part"),
        ("说明.docx", bomb("docx", 20 * MB), "to 1"),
        ("表.xlsx", lying(1024, 200 * 1024, compressible=False), "does not match"),
        ("申请.docx", docm_renamed("main"), "contains macros"),
        ("申请.docx", docm_renamed("part"), "contains macros"),
        ("表.xlsx", xlsx([["a"]], macros=True), "contains macros"),
    ],
)
def test_a_hostile_request_attachment_is_refused_and_nothing_is_saved(
    client, request_world, name, data, says
):
    response = submit(client, request_world, [upload(name, data)])
    page = response.content.decode()
    assert response.status_code == 400
    assert name in page and says in page
    assert not ServiceRequest.objects.exists() and not Attachment.objects.exists()


@pytest.mark.parametrize("name", ["invoice.hta", "payload.html", "报告.pdf.exe", "noextension"])
def test_a_pdf_under_another_name_is_served_as_a_pdf_download(client, request_world, name):
    response = submit(client, request_world, [upload(name, PDF)])
    assert response.status_code == 302
    stored = Attachment.objects.get()
    expected = {"invoice.hta": "invoice.pdf", "payload.html": "payload.pdf"}.get(name)
    assert stored.name.endswith(".pdf") and (expected is None or stored.name == expected)

    client.force_login(request_world["steward"])
    download = client.get(reverse("requests:attachment", args=[stored.request_id, stored.pk]))

    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert ".pdf" in disposition and ".hta" not in disposition and ".html" not in disposition


def test_a_file_stored_before_the_fix_is_served_by_its_content_not_its_stored_name(
    client, request_world
):
    submit(client, request_world, [upload("a.pdf", PDF)])
    stored = Attachment.objects.get()
    # As the probe left it: an .html name and type recorded for PDF content.
    Attachment.objects.filter(pk=stored.pk).update(name="payload.html", content_type="text/html")
    client.force_login(request_world["steward"])

    download = client.get(reverse("requests:attachment", args=[stored.request_id, stored.pk]))

    assert download["Content-Type"] == "application/pdf"
    assert 'filename="payload.pdf"' in download["Content-Disposition"]
    # And content no longer on the allow-list (a macro document kept from before) is inert.
    stored.refresh_from_db()
    stored.file.save("old.docx", io.BytesIO(docm_renamed("part")), save=True)
    download = client.get(reverse("requests:attachment", args=[stored.request_id, stored.pk]))
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")
    assert 'filename="payload.bin"' in download["Content-Disposition"]


def test_images_stay_inline_and_everything_else_is_a_download(client, request_world):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    submit(client, request_world, [upload("photo.html", png), upload("说明.docx", docx())])
    client.force_login(request_world["steward"])
    by_type = {}
    for a in Attachment.objects.all():
        response = client.get(reverse("requests:attachment", args=[a.request_id, a.pk]))
        by_type[response["Content-Type"]] = response["Content-Disposition"]
    assert by_type["image/png"].startswith("inline;") and "photo.png" in by_type["image/png"]
    assert by_type[attachments.TYPES["docx"]].startswith("attachment;")


# --- Policy documents and approval commitments -------------------------------------------------


POLICY = {"title": "新能源补助", "issuer": "锦州市发改委", "combine": "all", "active": "on"}


@pytest.mark.parametrize(
    "name, data, says",
    [
        ("指南.docx", bomb("docx", 300 * MB), "per part"),
        ("指南.docx", docm_renamed("rels"), "contains macros"),
    ],
)
def test_a_hostile_policy_document_saves_nothing(client, users, name, data, says):
    from guanjia.policies.models import Policy

    client.force_login(users["admin"])
    response = client.post("/policies/new/", POLICY | {"documents": [upload(name, data)]})
    assert says in response.content.decode() and name in response.content.decode()
    assert not Policy.objects.exists()


def test_a_policy_document_is_served_under_its_real_type(client, users):
    from guanjia.policies.models import PolicyDocument

    client.force_login(users["admin"])
    client.post("/policies/new/", POLICY | {"documents": [upload("payload.html", PDF)]})
    document = PolicyDocument.objects.get()
    assert document.name == "payload.pdf"

    download = client.get(f"/policies/documents/{document.pk}/")

    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == 'attachment; filename="payload.pdf"'


def test_an_approval_commitment_is_served_under_its_real_type(
    client, users, linghai, own_enterprise
):
    import time_machine

    from guanjia.approvals import services as approvals
    from guanjia.approvals.loading import load_approval_kinds
    from guanjia.approvals.models import ApprovalKind

    load_approval_kinds()
    kind = ApprovalKind.objects.get(name="施工许可")
    kind.department = users["handler"].department
    kind.save()
    project = ProjectFactory(enterprise=own_enterprise, region=linghai, steward=users["steward"])
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False):
        item = approvals.add_item(project, kind, users["steward"])
        item = approvals.submit(item, users["steward"], [m for m in kind.materials.all() if m.core])
        with pytest.raises(approvals.ApprovalError, match="contains macros"):
            approvals.accept_tolerated(
                item,
                users["steward"],
                upload("承诺书.docx", docm_renamed("main")),
                dt.date(2026, 3, 13),
            )
        item = approvals.accept_tolerated(
            item, users["steward"], upload("invoice.hta", PDF), dt.date(2026, 3, 13)
        )
    assert item.commitment_name == "invoice.pdf"
    client.force_login(users["steward"])

    download = client.get(reverse("approvals:commitment", args=[item.pk]))

    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"


# --- Ingest --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, data, says",
    [
        ("通知.docx", bomb("docx", 300 * MB), "per part"),
        ("通知.docx", docm_renamed("part"), "contains macros"),
        ("通知.docx", PDF, "could not be read as a PDF"),  # told by content, not by name
    ],
)
def test_a_hostile_ingest_upload_is_refused_with_the_reason(client, users, name, data, says):
    from guanjia.ingest.models import IngestedDocument

    client.force_login(users["admin"])
    response = client.post(reverse("ingest:index"), {"file": upload(name, data)})
    assert says in response.content.decode()
    assert not IngestedDocument.objects.exists()


# --- Imports: .xlsm, macros by content, bombs; on every import path --------------------------


IMPORTS = [
    ("projects:import_start", ImportJob),
    ("requests:import", ServiceRequest),
    ("servicerecords:import", None),
]


@pytest.mark.parametrize("url, model", IMPORTS)
@pytest.mark.parametrize(
    "name, data, says",
    [
        ("台账.xlsm", xlsx([["项目名称"]]), "macro-enabled workbook"),
        ("台账.xlsx", xlsx([["项目名称"]], macros=True), "macro-enabled workbook"),
        ("台账.xlsx", bomb("xlsx", 300 * MB), "per part"),
        ("台账.xlsx", bomb("xlsx", 20 * MB), "to 1"),
        ("台账.xlsx", lying(1024, 200 * 1024, compressible=False), "does not match"),
    ],
)
def test_a_hostile_import_is_refused_with_the_reason_and_writes_nothing(
    client, users, regions, url, model, name, data, says, django_capture_on_commit_callbacks
):
    load_categories()
    client.force_login(users["admin"])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse(url), {"file": upload(name, data)})
    page = response.content.decode()
    assert response.status_code == 400
    assert says in page and name in page
    assert not queued  # nothing sent to a worker
    assert not ImportJob.objects.exists() and not ServiceRequest.objects.exists()


def test_a_background_import_refuses_a_bomb_that_reached_the_disk(users, tmp_path, regions):
    # However it got there (the command line, a job from before the fix), the worker checks
    # the file before calamine opens it.
    data = bomb("xlsx", 300 * MB)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(data)
    result = ProjectImporter(users["admin"], filename="台账.xlsx").validate(str(path))
    assert result.file_errors and "per part" in result.file_errors[0]
    stored = ImportJob._meta.get_field("file").storage.save("bomb.xlsx", ContentFile(data))
    job = ImportJob.objects.create(
        user=users["admin"], file=stored, original_name="台账.xlsx", language="en"
    )
    import_jobs.validate_import.call(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "per part" in job.result["file_errors"][0]


# --- An import whose worker died ---------------------------------------------------------------


def dead_job(user, status: str, *, seconds_ago: int = 600, **fields) -> ImportJob:
    """A job as a worker killed mid-way (kill -9, the OOM killer) leaves it: still running,
    its lease last renewed `seconds_ago`."""
    job = ImportJob.objects.create(
        user=user, file="imports/x.xlsx", original_name="台账.xlsx", language="en", **fields
    )
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, heartbeat_at=timezone.now() - dt.timedelta(seconds=seconds_ago)
    )
    return job


def test_a_job_whose_worker_died_is_failed_and_its_owner_told(client, users):
    owner = users["admin"]
    checking = dead_job(owner, ImportStatus.VALIDATING)
    committing = dead_job(owner, ImportStatus.COMMITTING, result={"counts": {"to_create": 3}})
    alive = dead_job(owner, ImportStatus.VALIDATING, seconds_ago=5)
    before_leases = ImportJob.objects.create(
        user=owner,
        file="imports/y.xlsx",
        original_name="旧.xlsx",
        status=ImportStatus.VALIDATING,
        language="en",
    )
    ImportJob.objects.filter(pk=before_leases.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )

    assert import_jobs.fail_abandoned_imports.call() == 3

    for job in (checking, committing, before_leases):
        job.refresh_from_db()
        assert job.status == ImportStatus.FAILED and job.finished_at
        assert "stopped unexpectedly" in job.result["file_errors"][0]
    alive.refresh_from_db()
    assert alive.status == ImportStatus.VALIDATING
    assert Project.objects.count() == 0
    # The owner sees it: in the inbox, on the job page, and the progress poll stops.
    note = Notification.objects.get(recipient=owner, target_id=str(checking.pk))
    assert note.kind == "import.failed" and "nothing was saved" in note.title
    client.force_login(owner)
    page = client.get(reverse("projects:import_job", args=[checking.pk])).content.decode()
    assert "stopped unexpectedly" in page and "nothing was saved" in page
    poll = client.get(
        reverse("projects:import_progress", args=[checking.pk]), headers={"HX-Request": "true"}
    )
    assert poll["HX-Redirect"] == reverse("projects:import_job", args=[checking.pk])
    assert import_jobs.fail_abandoned_imports.call() == 0  # told once


def test_the_queue_running_a_dead_job_again_fails_it_instead(users):
    # The rq recovery (guanjia.core.taskrecovery) puts back a task whose worker died; the
    # second run must neither hang nor run a file that may kill its worker again.
    checking = dead_job(users["admin"], ImportStatus.VALIDATING)
    committing = dead_job(users["admin"], ImportStatus.COMMITTING)

    assert import_jobs.validate_import.call(checking.pk) == {"skipped": True}
    assert import_jobs.commit_import.call(committing.pk) == {"skipped": True}

    for job in (checking, committing):
        job.refresh_from_db()
        assert job.status == ImportStatus.FAILED
    assert Project.objects.count() == 0


def test_the_failure_is_told_in_the_uploader_s_language(users):
    job = dead_job(users["admin"], ImportStatus.VALIDATING)
    ImportJob.objects.filter(pk=job.pk).update(language="zh-hans")
    import_jobs.fail_abandoned()
    job.refresh_from_db()
    assert "意外" in job.result["file_errors"][0]


@pytest.mark.django_db(transaction=True)
def test_a_running_job_renews_its_lease_from_its_own_connection(settings, users):
    import time

    settings.GUANJIA_IMPORT_HEARTBEAT_SECONDS = 1
    job = dead_job(users["admin"], ImportStatus.COMMITTING, seconds_ago=3600)
    with import_jobs.keep_alive(job.pk):
        time.sleep(2.5)
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < dt.timedelta(seconds=5)
    assert import_jobs.fail_abandoned() == 0


def test_import_files_are_stored_under_a_random_name(client, users, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(users["admin"])
    data = xlsx([["项目名称", "企业名称", "所属县区"]])
    client.post(reverse("projects:import_start"), {"file": upload("../../台账 <x>.xlsx", data)})
    job = ImportJob.objects.get()
    assert job.original_name == "台账 <x>.xlsx"
    stored = Path(job.file.name)
    assert stored.suffix == ".xlsx" and len(stored.stem) == 32 and "台账" not in job.file.name


def test_macros_in_an_xls_or_an_ods_are_refused_too():
    # An .xls (OLE) carrying a VBA project, found by its storage's name in the directory.
    xls = uploads.OLE_MAGIC + b"\x00" * 504 + "_VBA_PROJECT_CUR".encode("utf-16-le") + b"\x00" * 64
    with pytest.raises(uploads.UploadRefused, match="macro-enabled workbook"):
        uploads.check_spreadsheet(io.BytesIO(xls), "台账.xls")
    uploads.check_spreadsheet(io.BytesIO(uploads.OLE_MAGIC + b"\x00" * 600), "台账.xls")
    # An OpenDocument spreadsheet with Basic macros.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("Basic/Standard/Module1.xml", "<script:module/>")
    with pytest.raises(uploads.UploadRefused, match="macro-enabled workbook"):
        uploads.check_spreadsheet(buffer, "台账.ods")
