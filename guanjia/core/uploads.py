"""Hostile files: every zip-based upload (.xlsx, .docx, .ods) passes here before anything parses it.

A zip states in its central directory how big each member is once unpacked; a "zip bomb" is
small on disk and gigabytes unpacked, and a crafted one may state sizes that are not true. So:

1. the declared figures are checked first, cheaply: the number of members, each member's and
   the whole archive's unpacked size, and the compression ratio (unpacked / packed);
2. then every member is really unpacked, streamed in 1 MB pieces and thrown away, counting as
   it goes and stopping as soon as a limit is passed: a header that understates a size is
   caught by what the data really unpacks to, and a member whose data does not match its
   recorded size or CRC is refused as damaged;
3. macros are found by what `[Content_Types].xml` and the relationships say a part is, not by
   its name: a renamed `vbaProject.bin` is still a `application/vnd.ms-office.vbaProject`.

The limits are settings (`GUANJIA_UPLOAD_*`, see settings.py and docs/security.md,
"Uploaded files"). Every refusal is an `UploadRefused` whose text says, in the user's
language, what is wrong with which file.
"""

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO
from xml.etree import ElementTree

from django.conf import settings
from django.utils.translation import gettext as _

CHUNK = 1024 * 1024
# A member smaller than this is not judged by its ratio: a few KB of repeated XML is normal.
RATIO_FLOOR_BYTES = 1024 * 1024
# Parts read whole to look for macros ([Content_Types].xml, *.rels): never this big in a real file.
MAX_XML_PART_BYTES = 4 * 1024 * 1024

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
# Words in a part's content type, or a relationship's type, that mean code the file carries:
# macro-enabled main parts (…macroEnabled.main+xml, …macroEnabledTemplate…), VBA projects and
# their signatures (application/vnd.ms-office.vbaProject…), Excel 4.0 macro sheets.
MACRO_WORDS = ("macroenabled", "vbaproject", "macrosheet", "intlmacrosheet")
# OpenDocument keeps Basic macros and scripts in these folders.
ODF_MACRO_FOLDERS = ("basic/", "scripts/")
# An OLE (.xls, .doc) file's VBA storage, as its directory spells it (UTF-16LE).
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_VBA = "_VBA_PROJECT".encode("utf-16-le")
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb", ".docm", ".dotm")

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature … name length, extra length


class UploadRefused(ValueError):
    """An upload refused before parsing; its text says why, in the active language."""


@dataclass(frozen=True)
class Limits:
    members: int
    member_bytes: int
    total_bytes: int
    ratio: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            members=settings.GUANJIA_UPLOAD_MAX_MEMBERS,
            member_bytes=settings.GUANJIA_UPLOAD_MAX_MEMBER_BYTES,
            total_bytes=settings.GUANJIA_UPLOAD_MAX_UNPACKED_BYTES,
            ratio=settings.GUANJIA_UPLOAD_MAX_RATIO,
        )


@dataclass
class ZipReport:
    """What a checked archive holds."""

    members: int = 0
    packed: int = 0
    unpacked: int = 0
    content_types: dict[str, str] = field(default_factory=dict)  # part name -> content type
    macro_parts: list[str] = field(default_factory=list)

    parts: set[str] = field(default_factory=set)

    @property
    def kind(self) -> str | None:
        """'docx' or 'xlsx' by the main part's content type (or, in a package that declares
        none, by its main part's usual name); None for anything else, or with macros."""
        if self.macro_parts or "[Content_Types].xml" not in self.parts:
            return None
        types = set(self.content_types.values())
        if WORD_MAIN in types or (
            not types - {"application/xml"} and "word/document.xml" in self.parts
        ):
            return "docx"
        if EXCEL_MAIN in types or (
            not types - {"application/xml"} and "xl/workbook.xml" in self.parts
        ):
            return "xlsx"
        return None


def size_text(size: int) -> str:
    if size >= 1024 * 1024 * 1024:
        return f"{size / 1024 / 1024 / 1024:.1f} GB"
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024:.0f} KB"


def is_zip(stream: IO[bytes]) -> bool:
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    return head == b"PK\x03\x04"


def is_ole(stream: IO[bytes]) -> bool:
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    return head == OLE_MAGIC


def check_zip(stream: IO[bytes], name: str, limits: Limits | None = None) -> ZipReport:
    """Check an archive's declared and real sizes and ratio; its report, or UploadRefused."""
    limits = limits or Limits.from_settings()
    stream.seek(0)
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(name) from exc
    try:
        with archive:
            infos = archive.infolist()
            report = ZipReport(members=len(infos))
            _check_declared(infos, name, limits)
            for info in infos:
                report.packed += info.compress_size
                report.unpacked += _unpack(stream, info, name, limits, report.unpacked)
            if report.unpacked > RATIO_FLOOR_BYTES and report.unpacked > limits.ratio * max(
                report.packed, 1
            ):
                raise _ratio(name, report.unpacked // max(report.packed, 1), limits)
            _read_types(archive, infos, name, report)
    finally:
        stream.seek(0)
    return report


def check_office(
    stream: IO[bytes], name: str, *, macros_allowed: bool = False, limits: Limits | None = None
) -> ZipReport:
    """A zip-based Office (or OpenDocument) file that is safe to parse: sizes checked, and
    refused if it carries macros (unless `macros_allowed`)."""
    report = check_zip(stream, name, limits)
    if report.macro_parts and not macros_allowed:
        raise UploadRefused(
            _(
                "“%(name)s” contains macros (%(part)s); files with macros are not accepted. "
                "Save it without macros (as .docx or .xlsx) and upload that."
            )
            % {"name": name, "part": report.macro_parts[0]}
        )
    return report


def check_spreadsheet(source: str | IO[bytes], name: str) -> None:
    """A spreadsheet about to be imported: refuse macro-enabled workbooks by name and by
    content, and zip bombs; an .xls is checked for a VBA project. UploadRefused if not safe."""
    lower = (name or "").lower()
    if lower.endswith(MACRO_EXTENSIONS):
        raise UploadRefused(macro_workbook_message(name))
    if isinstance(source, str):
        with open(source, "rb") as stream:
            return check_spreadsheet(stream, name)
    if is_zip(source):
        report = check_zip(source, name)
        if report.macro_parts:
            raise UploadRefused(macro_workbook_message(name))
    elif is_ole(source):
        source.seek(0)
        try:
            if _contains(source, OLE_VBA):
                raise UploadRefused(macro_workbook_message(name))
        finally:
            source.seek(0)


def _contains(stream: IO[bytes], needle: bytes) -> bool:
    tail = b""
    while chunk := stream.read(CHUNK):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle) :]
    return False


def macro_workbook_message(name: str) -> str:
    return _(
        "“%(name)s” is a macro-enabled workbook (such as .xlsm); macros are not imported. "
        "Save it in Excel as “Excel Workbook (*.xlsx)” and import that file."
    ) % {"name": name}


def _damaged(name: str) -> UploadRefused:
    return UploadRefused(
        _("“%(name)s” is damaged or not what its name says (its zip structure cannot be read).")
        % {"name": name}
    )


def _ratio(name: str, ratio: int, limits: Limits) -> UploadRefused:
    return UploadRefused(
        _(
            "“%(name)s” is compressed %(ratio)d to 1; at most %(max)d to 1 is accepted "
            "(a file built to fill the server's memory?)."
        )
        % {"name": name, "ratio": ratio, "max": limits.ratio}
    )


def _too_big(name: str, size: int, limits: Limits) -> UploadRefused:
    return UploadRefused(
        _("“%(name)s” unpacks to more than %(size)s; at most %(max)s unpacked is accepted.")
        % {"name": name, "size": size_text(size), "max": size_text(limits.total_bytes)}
    )


def _member_too_big(name: str, member: str, size: int, limits: Limits) -> UploadRefused:
    return UploadRefused(
        _(
            "“%(name)s”: its part “%(member)s” unpacks to more than %(size)s; "
            "at most %(max)s per part is accepted."
        )
        % {
            "name": name,
            "member": member[:80],
            "size": size_text(size),
            "max": size_text(limits.member_bytes),
        }
    )


def _check_declared(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    if len(infos) > limits.members:
        raise UploadRefused(
            _("“%(name)s” holds %(count)d parts; at most %(max)d are accepted.")
            % {"name": name, "count": len(infos), "max": limits.members}
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise UploadRefused(
                _("“%(name)s” is password-protected; upload it without a password.")
                % {"name": name}
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadRefused(
                _("“%(name)s” uses a compression method that Office files do not use.")
                % {"name": name}
            )
        if info.file_size > limits.member_bytes:
            raise _member_too_big(name, info.filename, info.file_size, limits)
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > limits.ratio * max(
            info.compress_size, 1
        ):
            raise _ratio(name, info.file_size // max(info.compress_size, 1), limits)
        total += info.file_size
        if total > limits.total_bytes:
            raise _too_big(name, total, limits)


def _unpack(
    stream: IO[bytes], info: zipfile.ZipInfo, name: str, limits: Limits, before: int
) -> int:
    """Really unpack one member from its raw bytes (not trusting the sizes it states), and
    throw the output away; how many bytes it unpacked to. Stops at the first limit passed."""
    stream.seek(info.header_offset)
    header = stream.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise _damaged(name)
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise _damaged(name)
    flags, crc, packed_size, unpacked_size = fields[2], fields[6], fields[7], fields[8]
    # The local header must say what the central directory says (readers differ in which one
    # they believe), unless its sizes follow the data (flag 8) or are in a zip64 extra field.
    local = (crc, packed_size, unpacked_size)
    if (
        not flags & 0x8
        and 0xFFFFFFFF not in (packed_size, unpacked_size)
        and local != (info.CRC, info.compress_size, info.file_size)
    ):
        raise _mismatch(name, info)
    stream.seek(info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10])
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    actual = 0
    running_crc = 0
    while left > 0 and not (inflater is not None and inflater.eof):
        raw = stream.read(min(CHUNK, left))
        if not raw:
            raise _damaged(name)
        left -= len(raw)
        data = raw
        while data:
            if inflater is None:
                out, data = data, b""
            else:
                try:
                    out = inflater.decompress(data, CHUNK)
                except zlib.error as exc:
                    raise _damaged(name) from exc
                data = inflater.unconsumed_tail
            actual += len(out)
            running_crc = zlib.crc32(out, running_crc)
            if actual > limits.member_bytes:
                raise _member_too_big(name, info.filename, actual, limits)
            if before + actual > limits.total_bytes:
                raise _too_big(name, before + actual, limits)
            if actual > RATIO_FLOOR_BYTES and actual > limits.ratio * max(info.compress_size, 1):
                raise _ratio(name, actual // max(info.compress_size, 1), limits)
            if inflater is not None and inflater.eof:
                break
    if inflater is not None and not inflater.eof:
        raise _damaged(name)  # the packed data ends before its stream does
    if actual != info.file_size or running_crc != info.CRC:
        raise _mismatch(name, info)
    return actual


def _mismatch(name: str, info: zipfile.ZipInfo) -> UploadRefused:
    return UploadRefused(
        _(
            "“%(name)s” is damaged: the size or checksum recorded for its part “%(member)s” "
            "does not match its content."
        )
        % {"name": name, "member": info.filename[:80]}
    )


def _xml(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> ElementTree.Element:
    if info.file_size > MAX_XML_PART_BYTES:
        raise _member_too_big(name, info.filename, info.file_size, Limits.from_settings())
    try:
        data = archive.read(info)
        # Office parts never declare a DTD: one that does is refused before parsing, so no
        # entity (billion laughs, external files) is ever expanded.
        if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
            raise ValueError("a DTD in an Office part")
        return ElementTree.fromstring(data)  # noqa: S314  (bounded, no DTD: see above)
    except (ElementTree.ParseError, zipfile.BadZipFile, ValueError) as exc:
        raise UploadRefused(
            _("“%(name)s” is damaged: its part “%(member)s” cannot be read.")
            % {"name": name, "member": info.filename[:80]}
        ) from exc


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_macro(text: str) -> bool:
    lower = text.lower()
    return any(word in lower for word in MACRO_WORDS)


def read_types(archive: zipfile.ZipFile, name: str = "") -> ZipReport:
    """An (already size-checked, or trusted) archive's parts' content types and macro parts,
    without unpacking anything but [Content_Types].xml and the relationships."""
    report = ZipReport(members=len(archive.infolist()))
    _read_types(archive, archive.infolist(), name, report)
    return report


def _read_types(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], name: str, report: ZipReport
) -> None:
    """Each part's content type (OOXML), and every part that carries code, whatever its name."""
    names = {info.filename for info in infos}
    report.parts = names
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for info in infos:
        lower = info.filename.lower()
        if info.filename == "[Content_Types].xml":
            for element in _xml(archive, info, name).iter():
                tag = _local(element.tag)
                content_type = (element.get("ContentType") or "").strip()
                if tag == "Default":
                    defaults[(element.get("Extension") or "").lower()] = content_type
                elif tag == "Override":
                    overrides[(element.get("PartName") or "").lstrip("/")] = content_type
        elif lower.endswith(".rels"):
            for element in _xml(archive, info, name).iter():
                if _local(element.tag) == "Relationship" and _is_macro(element.get("Type") or ""):
                    report.macro_parts.append(element.get("Target") or info.filename)
        elif lower.endswith("vbaproject.bin") or (
            "mimetype" in names and lower.startswith(ODF_MACRO_FOLDERS)
        ):
            report.macro_parts.append(info.filename)
    for part in names:
        if part.endswith("/"):
            continue
        extension = part.rsplit(".", 1)[-1].lower() if "." in part.rsplit("/", 1)[-1] else ""
        content_type = overrides.get(part) or defaults.get(extension, "")
        if content_type:
            report.content_types[part] = content_type
            if _is_macro(content_type):
                report.macro_parts.append(part)
    for part, content_type in overrides.items():  # declared, even if the part is missing
        if _is_macro(content_type) and part not in report.macro_parts:
            report.macro_parts.append(part)
    report.macro_parts = sorted(set(report.macro_parts), key=_natural)


def _natural(text: str) -> tuple[int, str]:
    return (0 if re.search(r"vbaproject", text, re.I) else 1, text)
