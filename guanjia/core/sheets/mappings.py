"""Saved column mappings: an office maps its layout once, every later file of it maps itself.

A mapping is found by the file's header signature (the sha1 of its normalised header row), so
the next month's sheet from the same office needs no questions; a user may also name one
(`find_mapping(..., name="黑山县商务局台账")`, `--mapping` on the command line). The mappings a
user sees are their own, their department's and their office's (their region and above), in
that order of preference.
"""

import difflib
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from guanjia.core import audit
from guanjia.core.models import SheetMapping
from guanjia.core.sheets.headers import normalise_header

IGNORE = "-"  # on the command line, 备注=- ignores the column


def header_signature(headers: Iterable[Any]) -> str:
    """sha1 of the normalised header row; empty headers (columns without one) do not count."""
    names = [normalise_header(h) for h in headers]
    joined = "\x1f".join(n for n in names if n)
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()


def _owner(user: Any, owner: str) -> dict[str, Any]:
    if owner == "user":
        return {"owner_user": user}
    if owner == "department" and getattr(user, "department_id", None):
        return {"owner_department_id": user.department_id}
    if owner == "office" and getattr(user, "region_id", None):
        return {"owner_region_id": user.region_id}
    if owner == "department":
        raise ValueError(_("you belong to no department to share the mapping with"))
    if owner == "office":
        raise ValueError(_("you have no office to share the mapping with"))
    raise ValueError(f"owner must be user, department or office, not {owner!r}")


@transaction.atomic
def save_mapping(
    kind: str,
    headers: Sequence[Any],
    mapping: Mapping[str, str | None],
    user: Any,
    name: str,
    owner: str = "user",
) -> SheetMapping:
    """Save (or replace, by owner and name) a mapping of a header row; audited.

    `mapping` is {header: field or None}; the headers are stored normalised. `owner` is
    "user", "department" (the user's) or "office" (the user's region).
    """
    values = {
        "signature": header_signature(headers),
        "headers": [normalise_header(h) for h in headers if normalise_header(h)],
        "mapping": {normalise_header(h): f for h, f in mapping.items() if normalise_header(h)},
    }
    found = SheetMapping.objects.filter(kind=kind, name=name, **_owner(user, owner)).first()
    if found is None:
        found = SheetMapping(
            kind=kind,
            name=name,
            created_by=user if getattr(user, "pk", None) else None,
            **_owner(user, owner),
        )
    for key, value in values.items():
        setattr(found, key, value)
    audit.audited_save(found, user)  # validates the name; records the creation or the change
    return found


def visible_mappings(kind: str, user: Any) -> Any:
    """The mappings of `kind` a user may use: theirs, their department's, their office's."""
    mine = Q(owner_user=user) if getattr(user, "pk", None) else Q(pk__in=[])
    if getattr(user, "department_id", None):
        mine |= Q(owner_department_id=user.department_id)
    region = getattr(user, "region", None)
    if region is not None:
        mine |= Q(owner_region__path__in=region.lineage)
    return SheetMapping.objects.filter(mine, kind=kind)


def _preference(mapping: SheetMapping) -> tuple[int, float]:
    rank = 0 if mapping.owner_user_id else 1 if mapping.owner_department_id else 2
    used = mapping.used_at or mapping.created_at
    return rank, -used.timestamp() if used else 0.0


def find_mapping(
    kind: str, headers: Sequence[Any], user: Any, name: str = ""
) -> SheetMapping | None:
    """The mapping for this header row (by signature), else the one called `name`, else None."""
    visible = visible_mappings(kind, user)
    by_signature = list(visible.filter(signature=header_signature(headers)))
    if by_signature:
        return min(by_signature, key=_preference)
    if name:
        by_name = list(visible.filter(name=name))
        if by_name:
            return min(by_name, key=_preference)
    return None


@dataclass
class Applied:
    """A saved mapping laid over a sheet's header row."""

    fields: dict[int, str | None]  # column index → field, None to ignore
    unmapped: list[int]  # columns the mapping does not mention (the user still chooses)
    missing: list[str]  # headers the mapping names that this sheet does not have


def apply_mapping(
    mapping: SheetMapping | Mapping[str, str | None],
    headers: Sequence[Any],
    known_fields: Iterable[str] | None = None,
    touch: bool = True,
) -> Applied:
    """Map a header row by a saved mapping; fields no longer known are left to the user.

    With a SheetMapping and `touch`, its used_at is stamped.
    """
    table = mapping.mapping if isinstance(mapping, SheetMapping) else dict(mapping)
    table = {normalise_header(h): f for h, f in table.items()}
    allowed = set(known_fields) if known_fields is not None else None
    fields: dict[int, str | None] = {}
    unmapped: list[int] = []
    present = set()
    for index, header in enumerate(headers):
        key = normalise_header(header)
        if not key:
            continue
        present.add(key)
        if key in table and (table[key] is None or allowed is None or table[key] in allowed):
            fields[index] = table[key]
        else:
            unmapped.append(index)
    if isinstance(mapping, SheetMapping) and touch and mapping.pk:
        mapping.used_at = timezone.now()
        SheetMapping.objects.filter(pk=mapping.pk).update(used_at=mapping.used_at)
    return Applied(fields, unmapped, [h for h in table if h not in present])


class MapArgError(ValueError):
    """A --map argument that cannot be understood; the message says why."""


def parse_map_args(
    args: Iterable[str], fields: Iterable[str], labels: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """['建设地点=region', '备注=-'] → {'建设地点': 'region', '备注': None}.

    The right side is a field name, `-` to ignore the column, or (with `labels`, {text: field})
    a field's Chinese header. Unknown fields raise MapArgError naming the close ones.
    """
    known = list(fields)
    words = dict(labels or {})
    result: dict[str, str | None] = {}
    for arg in args:
        header, sep, target = arg.partition("=")
        header, target = header.strip(), target.strip()
        if not sep or not header or not target:
            raise MapArgError(
                _("“%(arg)s” is not HEADER=FIELD (or HEADER=- to ignore the column)") % {"arg": arg}
            )
        if target == IGNORE:
            result[normalise_header(header)] = None
            continue
        field = target if target in known else words.get(target)
        if field is None:
            close = difflib.get_close_matches(target, known + list(words), n=3)
            hint = (
                _("did you mean %(names)s?") % {"names": ", ".join(close)}
                if close
                else _("the fields are: %(names)s") % {"names": ", ".join(known)}
            )
            raise MapArgError(
                _("“%(arg)s”: no field is called “%(field)s”; %(hint)s")
                % {"arg": arg, "field": target, "hint": hint}
            )
        result[normalise_header(header)] = field
    return result
