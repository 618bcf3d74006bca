"""A request's attachments: files kept with the private-file kit (guanjia.core.files), checked
by content (PDF, JPG, PNG, DOCX or XLSX, 20 MB each) and refused as a RequestError."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.files.base import File

from guanjia.accounts.models import User
from guanjia.core import files
from guanjia.core.audit import record
from guanjia.core.files import (  # noqa: F401  (the request views, the API, the demo and tests)
    ACCEPT,
    TYPES,
    from_bytes,
    removed_on_failure,
    sniff,
)
from guanjia.core.models import AuditAction

from .models import Attachment, RequestEvent, ServiceRequest
from .services import RequestError


@contextmanager
def _as_request_error() -> Iterator[None]:
    """A refused file is a RequestError on the form's attachments field."""
    try:
        yield
    except files.FileRefused as exc:
        raise RequestError({"attachments": exc.messages}) from exc


def check(upload: File) -> str:  # type: ignore[type-arg]
    """The file's kind, or a RequestError that names the file and what is wrong with it."""
    with _as_request_error():
        return files.check(upload)


def attach(
    sr: ServiceRequest,
    actor: User | None,
    upload: File,  # type: ignore[type-arg]
    event: RequestEvent | None = None,
) -> Attachment:
    """Store one checked file against the request (call inside the step's transaction)."""
    with _as_request_error():
        kind, sha256, original = files.fingerprint(upload)
    attachment = Attachment(
        request=sr,
        event=event,
        name=original,
        content_type=TYPES[kind],
        size=upload.size or 0,
        sha256=sha256,
        uploaded_by=actor,
    )
    files.store(attachment.file, kind, upload)
    attachment.save()
    record(actor, AuditAction.CREATE, attachment)
    return attachment
