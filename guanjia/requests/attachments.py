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
from guanjia.core import uploads
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
# The extensions a file of each type may be called by; the first is the one given when the
# uploader's name says something else.
EXTENSIONS = {
    "pdf": (".pdf",),
    "jpg": (".jpg", ".jpeg"),
    "png": (".png",),
    "docx": (".docx",),
    "xlsx": (".xlsx",),
}
INLINE = {"jpg", "png"}  # shown in the browser; everything else is a download
UNKNOWN_TYPE = "application/octet-stream"


def sniff(stream: IO[bytes]) -> str | None:
    """The file's real type from its bytes: one of TYPES' keys, or None. An Office file is
    told by its main part's content type, and one that carries macros is None, whatever its
    parts are called (see guanjia.core.uploads); sizes are not checked here (see `check`)."""
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
                report = uploads.read_types(archive)
        except (zipfile.BadZipFile, OSError, ValueError, uploads.UploadRefused):
            return None
        finally:
            stream.seek(0)
        return None if report.macro_parts else report.kind
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
    stream = upload.file if hasattr(upload, "file") else upload
    if uploads.is_zip(stream):  # type: ignore[arg-type]
        try:  # sizes, ratio and macros, before anything reads the parts
            uploads.check_office(stream, name)  # type: ignore[arg-type]
        except uploads.UploadRefused as exc:
            raise RequestError({"attachments": str(exc)}) from exc
    kind = sniff(stream)  # type: ignore[arg-type]
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
    return kind, digest.hexdigest(), named_as(upload.name or "", kind)


def named_as(name: str, kind: str | None) -> str:
    """The uploader's file name with an extension that matches the type found in the file's
    content: `invoice.hta` holding a PDF is `invoice.pdf`; an unknown type is `.bin`."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    extensions = EXTENSIONS.get(kind or "", (".bin",))
    if base.lower().endswith(extensions) and len(base) > len(extensions[0]):
        return base[-200:] if len(base) > 200 else base
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base.lstrip(".")
    return (stem.strip(" .") or "file")[: 200 - len(extensions[0])] + extensions[0]


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


def serve(field: FieldFile, name: str) -> FileResponse:
    """A private file to a user already checked. Its type is found again from its content
    (never from a stored name or type): it is sent with that type, under the uploader's name
    with the matching extension, images inline and the rest as a download, never cached,
    never sniffed, and sandboxed so a crafted file cannot run script on our origin."""
    stream = field.open("rb")
    kind = sniff(stream)  # type: ignore[arg-type]
    response = FileResponse(
        stream,
        as_attachment=kind not in INLINE,
        filename=named_as(name, kind),
        content_type=TYPES.get(kind or "", UNKNOWN_TYPE),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def from_bytes(name: str, data: bytes) -> File:  # type: ignore[type-arg]
    """A File from bytes (for the API and the demo)."""
    return File(io.BytesIO(data), name=name)
