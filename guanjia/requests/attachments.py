"""Attachments: PDF, JPG, PNG, DOCX and XLSX, checked by content (not by name), 20 MB each."""

import hashlib
import io
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO

from django.conf import settings
from django.core.files.base import File
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.translation import gettext as _

from guanjia.accounts.models import User
from guanjia.core.audit import record
from guanjia.core.models import AuditAction

from .models import Attachment, RequestEvent, ServiceRequest
from .services import RequestError
from .storage import attachment_storage

TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ACCEPT = ",".join([".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", *TYPES.values()])


def sniff(stream: IO[bytes]) -> str | None:
    """The file's real type from its bytes: one of TYPES' keys, or None."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(stream) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            stream.seek(0)
        if any(name.endswith("vbaProject.bin") for name in names):
            return None  # a macro-enabled document (.docm/.xlsm) wearing a .docx/.xlsx name
        if "[Content_Types].xml" in names:
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
    return None


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"


def check(upload: File) -> str:  # type: ignore[type-arg]
    """The file's kind, or a RequestError that names the file and what is wrong with it."""
    name = upload.name or "?"
    limit = settings.GUANJIA_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise RequestError(
            {
                "attachments": _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
                % {"name": name, "size": human_size(upload.size), "limit": human_size(limit)}
            }
        )
    kind = sniff(upload.file if hasattr(upload, "file") else upload)  # type: ignore[arg-type]
    if kind is None:
        raise RequestError(
            {
                "attachments": _(
                    "“%(name)s” is not a PDF, JPG, PNG, DOCX or XLSX file (checked by its content)."
                )
                % {"name": name}
            }
        )
    return kind


def fingerprint(upload: File) -> tuple[str, str, str]:  # type: ignore[type-arg]
    """Check an upload; its (kind, sha256, original name). Raises RequestError if refused."""
    kind = check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    original = (upload.name or f"file.{kind}").rsplit("/", 1)[-1][:200]
    return kind, digest.hexdigest(), original


def store(field: FieldFile, kind: str, upload: File) -> None:  # type: ignore[type-arg]
    """Save an upload into a private file field under a random name (the original name is
    data, never a path); inside `removed_on_failure` it is deleted again if the block fails."""
    field.save(f"{uuid.uuid4().hex}.{kind}", upload, save=False)
    stored = _stored.get()
    if stored is not None and field.name:
        stored.append(field.name)


def attach(
    sr: ServiceRequest,
    actor: User | None,
    upload: File,  # type: ignore[type-arg]
    event: RequestEvent | None = None,
) -> Attachment:
    """Store one checked file against the request (call inside the step's transaction)."""
    kind, sha256, original = fingerprint(upload)
    attachment = Attachment(
        request=sr,
        event=event,
        name=original,
        content_type=TYPES[kind],
        size=upload.size or 0,
        sha256=sha256,
        uploaded_by=actor,
    )
    store(attachment.file, kind, upload)
    attachment.save()
    record(actor, AuditAction.CREATE, attachment)
    return attachment


_stored: ContextVar[list[str] | None] = ContextVar("attachments_stored", default=None)


@contextmanager
def removed_on_failure() -> Iterator[None]:
    """If the block fails (and its transaction rolls back), delete the files `attach` stored
    in it too, so a failed step leaves nothing on disk."""
    names: list[str] = []
    token = _stored.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            attachment_storage.delete(name)
        raise
    finally:
        _stored.reset(token)


def serve(field: FieldFile, name: str, content_type: str | None = None) -> FileResponse:
    """A private file to a user already checked: images inline, the rest as a download,
    never cached, and sandboxed so a crafted file cannot run script on our origin."""
    inline = bool(content_type and content_type.startswith("image/"))
    response = FileResponse(
        field.open("rb"), as_attachment=not inline, filename=name, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def from_bytes(name: str, data: bytes) -> File:  # type: ignore[type-arg]
    """A File from bytes (for the API and the demo)."""
    return File(io.BytesIO(data), name=name)
