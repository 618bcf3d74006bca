"""Private files: how every app keeps a file people upload or the system makes for a few eyes.

One kit for request attachments, approval commitments, policy documents and report files:

- **Storage**: `PrivateStorage(folder=…)` on the model's FileField. Every read and write goes
  through Django's storage API (`open`, `save`, `delete`, `exists`, `size`), never `.path` or
  the filesystem, so the store can be object storage: set `STORAGES["private"]` (for example
  an S3 backend) and every folder lives there; without it the files live under
  `settings.GUANJIA_PRIVATE_ROOT/<folder>`. Private files have no URL.
- **Check**: `check` finds an upload's real type from its bytes (PDF, JPG, PNG, DOCX, XLSX),
  refuses it if it is too big, a zip bomb or an Office file with macros
  (guanjia.core.uploads), and says so in the user's language (`FileRefused`).
- **Names**: a file is stored under a random name (`store`); the uploader's name is data,
  given back with the extension that matches the content (`named_as`).
- **Serving**: `serving_view(find)` is the one view that sends a private file: `find` is the
  owning app's access rule (it returns the file, or raises Http404/PermissionDenied), and the
  file is streamed from `storage.open` with the original name, never cached, never sniffed.
"""

import hashlib
import io
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import IO, Any, NamedTuple

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guanjia.core import uploads

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
NAME_MAX = 200  # the longest original name kept (the models' name fields)


class FileRefused(ValidationError):
    """An upload refused by `check`; its message names the file and says what is wrong."""


# ----------------------------------------------------------------------------- storage


def private_store() -> Storage:
    """The whole private store (every folder): `STORAGES["private"]` when configured (object
    storage), else the local folder `settings.GUANJIA_PRIVATE_ROOT`, read on each use (tests
    move it)."""
    if "private" in settings.STORAGES:
        return storages["private"]
    return FileSystemStorage(location=settings.GUANJIA_PRIVATE_ROOT)


def walk(storage: Storage, folder: str = "") -> Iterator[str]:
    """Every file's name in a storage's folder and below, through `listdir` (for backups)."""
    try:
        folders, names = storage.listdir(folder)
    except FileNotFoundError:  # a local store not made yet holds nothing
        return
    prefix = f"{folder}/" if folder else ""
    for name in sorted(names):
        yield prefix + name
    for sub in sorted(folders):
        yield from walk(storage, prefix + sub)


@deconstructible(path="guanjia.core.files.PrivateStorage")
class PrivateStorage(Storage):
    """One folder of the private store (`attachments`, `reports`, …), with no public URL.

    The backend is `private_store()`, looked up on each use. Names inside a folder are what the models keep, so moving the store to another backend is a copy of
    the files and a setting; no row changes. There is no `path()`: no code may need one.
    """

    def __init__(self, folder: str = "attachments") -> None:
        self.folder = folder.strip("/")

    @property
    def backend(self) -> Storage:
        return private_store()

    def _full(self, name: str) -> str:
        return f"{self.folder}/{name}" if name else self.folder

    def _open(self, name: str, mode: str = "rb") -> File:  # type: ignore[type-arg]
        return self.backend.open(self._full(name), mode)

    def _save(self, name: str, content: File) -> str:  # type: ignore[type-arg]
        saved = self.backend.save(self._full(name), content)
        return saved.removeprefix(f"{self.folder}/")

    def delete(self, name: str) -> None:
        self.backend.delete(self._full(name))

    def exists(self, name: str) -> bool:
        return self.backend.exists(self._full(name))

    def size(self, name: str) -> int:
        return self.backend.size(self._full(name))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.backend.listdir(self._full(path))

    def get_modified_time(self, name: str) -> Any:
        return self.backend.get_modified_time(self._full(name))

    def url(self, name: str | None) -> str:
        raise ValueError("private files have no public URL; serve them with files.serving_view")


# ----------------------------------------------------------------------------- checking


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


def check(upload: File, max_bytes: int | None = None) -> str:  # type: ignore[type-arg]
    """The upload's kind (a key of TYPES), found from its content; FileRefused, in the user's
    language, if it is bigger than `max_bytes` (default GUANJIA_ATTACHMENT_MAX_BYTES), a zip
    bomb, an Office file with macros, or not a type we keep."""
    name = upload.name or "?"
    limit = settings.GUANJIA_ATTACHMENT_MAX_BYTES if max_bytes is None else max_bytes
    if upload.size is not None and upload.size > limit:
        raise FileRefused(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {"name": name, "size": human_size(upload.size), "limit": human_size(limit)}
        )
    stream = upload.file if hasattr(upload, "file") else upload
    if uploads.is_zip(stream):  # type: ignore[arg-type]
        try:  # sizes, ratio and macros, before anything reads the parts
            uploads.check_office(stream, name)  # type: ignore[arg-type]
        except uploads.UploadRefused as exc:
            raise FileRefused(str(exc)) from exc
    kind = sniff(stream)  # type: ignore[arg-type]
    if kind is None:
        raise FileRefused(
            _("“%(name)s” is not a PDF, JPG, PNG, DOCX or XLSX file (checked by its content).")
            % {"name": name}
        )
    return kind


def fingerprint(upload: File) -> tuple[str, str, str]:  # type: ignore[type-arg]
    """Check an upload; its (kind, sha256, original name). Raises FileRefused if refused."""
    kind = check(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return kind, digest.hexdigest(), named_as(upload.name or "", kind)


def named_as(name: str, kind: str | None) -> str:
    """The uploader's file name with an extension that matches the type found in the file's
    content: `invoice.hta` holding a PDF is `invoice.pdf`; an unknown type is `.bin`. No
    folders, no control characters, at most NAME_MAX characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    extensions = EXTENSIONS.get(kind or "", (".bin",))
    if base.lower().endswith(extensions) and len(base) > len(extensions[0]):
        return base[-NAME_MAX:] if len(base) > NAME_MAX else base
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base.lstrip(".")
    return (stem.strip(" .") or "file")[: NAME_MAX - len(extensions[0])] + extensions[0]


# ----------------------------------------------------------------------------- keeping


def stored_name(kind: str) -> str:
    """A random name for a stored file: the original name is data, never a path."""
    return f"{uuid.uuid4().hex}.{kind}"


_stored: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("files_stored", default=None)


def store(field: FieldFile, kind: str, upload: File) -> None:  # type: ignore[type-arg]
    """Save a checked upload into a private file field under a random name (the model row is
    not saved); inside `removed_on_failure` it is deleted again if the block fails."""
    field.save(stored_name(kind), upload, save=False)
    stored = _stored.get()
    if stored is not None and field.name:
        stored.append((field.storage, field.name))


@contextmanager
def removed_on_failure() -> Iterator[None]:
    """If the block fails (and its transaction rolls back), delete the files `store` saved in
    it too, so a failed step leaves no file behind."""
    names: list[tuple[Storage, str]] = []
    token = _stored.set(names)
    try:
        yield
    except BaseException:
        for storage, name in names:
            storage.delete(name)
        raise
    finally:
        _stored.reset(token)


def delete(field: FieldFile) -> None:
    """Delete a field's stored file now (the row is left as it is)."""
    if field.name:
        field.storage.delete(field.name)


def delete_on_commit(field: FieldFile) -> None:
    """Delete a field's stored file once the current transaction commits (a rolled-back
    deletion keeps its file)."""
    storage, name = field.storage, field.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@contextmanager
def local_copy(field: FieldFile) -> Iterator[str]:
    """The path of a temporary local copy of a stored file, for a library that reads only by
    file name (never `field.path`: the store may be remote); removed after the block."""
    name = field.name or ""
    if not name:
        raise FileNotFoundError("the field holds no file")
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name.rsplit("/", 1)[-1] else ""
    with (
        tempfile.NamedTemporaryFile(suffix=suffix) as copy,
        field.storage.open(name, "rb") as stream,
    ):
        shutil.copyfileobj(stream, copy)
        copy.flush()
        yield copy.name


def from_bytes(name: str, data: bytes) -> File:  # type: ignore[type-arg]
    """A File from bytes (for the API, the demo and tests)."""
    return File(io.BytesIO(data), name=name)


# ----------------------------------------------------------------------------- serving


class Served(NamedTuple):
    """What the owning app's access rule lets through: the file, the name to send it under,
    and its kind when the app made the file itself (else it is found from the content)."""

    file: FieldFile
    name: str
    kind: str | None = None


def serve(field: FieldFile, name: str, kind: str | None = None) -> FileResponse:
    """A private file to a user already checked, streamed from its storage. Its type is found
    again from its content (never from a stored name or type) unless the app made the file
    and says its `kind`: it is sent with that type, under `name` with the matching extension,
    images inline and the rest as a download, never cached, never sniffed, and sandboxed so a
    crafted file cannot run script on our origin."""
    if not field.name:
        raise Http404("no file")
    stream = field.storage.open(field.name, "rb")
    if kind is None:
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


def serving_view(
    find: Callable[..., Served], methods: list[str] | None = None
) -> Callable[..., FileResponse]:
    """The view that sends one kind of private file: signed-in users only; `find(request,
    **url_kwargs)` is the owning app's access rule and look-up (it raises Http404 or
    PermissionDenied, or returns the file to send); `methods` limits the HTTP methods."""

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> FileResponse:
        return serve(*find(request, *args, **kwargs))

    view = wraps(find)(view)
    if methods is not None:
        view = require_http_methods(methods)(view)
    return login_required(view)
