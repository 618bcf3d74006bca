"""Ingesting texts: store the document once, propose records, and accept them through the
ledger's own services (validation, the lifecycle's transition rules, the counting rule and the
audit log are theirs). Nothing reaches the ledger until a person accepts it.

Which ledger records each kind becomes on acceptance:
- event → `events.services.create_event` (the reported counts stay on the proposal: the
  ledger computes an event's figures from its records, never from typed numbers);
- signing → the investor (`enterprises.services.create_enterprise` unless matched), the
  project (`projects.services.create_project` unless matched) and
  `events.services.record_signing` (the counting rule);
- milestone → `projects.services.transition` on a matched project, or a new project created at
  that stage;
- target → `targets.services.set_target` when the indicator matches one the city keeps;
- service figures, running totals, reported problems and unmatched targets → kept as reported
  figures (the accepted proposal itself): the ledger computes these from records.
"""

import datetime as dt
import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz, process

from guanjia.accounts.scope import referenceable
from guanjia.core.audit import audited_save
from guanjia.core.bounds import text_limit
from guanjia.enterprises.models import Enterprise
from guanjia.enterprises.services import create_enterprise
from guanjia.events import services as event_services
from guanjia.events.models import Event, Signing
from guanjia.projects import access as project_access
from guanjia.projects import services as project_services
from guanjia.projects import stages
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage
from guanjia.regions.models import Region

from . import gazetteer
from .access import can_review, in_scope
from .extract import extract, normalise
from .models import IngestedDocument, Kind, Match, Proposal, Status

FUZZY_CUTOFF = 88  # rapidfuzz WRatio at or above this is "the same name"
MILESTONE_STAGE = {
    "started": Stage.CONSTRUCTION,
    "in_operation": Stage.OPERATION,
    "grid_connected": Stage.OPERATION,
    "full_capacity": Stage.FULL_CAPACITY,
    # 竣工 alone: built, not yet producing; the lifecycle has no stage between the two, so a
    # completed project is recorded as (at least) under construction, the report as evidence.
    "completed": Stage.CONSTRUCTION,
}
SECTIONS = [
    ("events", Kind.EVENT),
    ("signings", Kind.SIGNING),
    ("milestones", Kind.MILESTONE),
    ("service_stats", Kind.SERVICE_STATS),
    ("targets", Kind.TARGET),
    ("totals", Kind.TOTAL),
    ("issues", Kind.ISSUE),
]
# The fields a reviewer may correct, per kind (each a {"value": …} in the payload).
EDITABLE = {
    Kind.EVENT: [
        "date",
        "name",
        "place",
        "enterprise_count",
        "city_count",
        "signing_count",
        "investment_yuan",
    ],
    Kind.SIGNING: ["date", "enterprise", "project", "investment_yuan"],
    Kind.MILESTONE: ["date", "project", "enterprise", "investment_yuan"],
    Kind.TARGET: ["value_yuan", "value"],
    Kind.TOTAL: ["value_yuan", "value"],
    Kind.SERVICE_STATS: ["steward_count", "service_count", "requests_resolved"],
    Kind.ISSUE: [],
}


def sha256(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def value(payload: dict[str, Any], key: str) -> Any:
    item = payload.get(key)
    if isinstance(item, dict):
        return item.get("value")
    return item


# -- matching ------------------------------------------------------------------------------


def find_name(name: str, choices: dict[int, str]) -> tuple[int, str] | None:
    """The id and name of the closest existing name (rapidfuzz), if close enough."""
    if not name or not choices:
        return None
    found = process.extractOne(name, choices, scorer=fuzz.WRatio, score_cutoff=FUZZY_CUTOFF)
    if found is None:
        return None
    matched, _score, pk = found
    # WRatio forgives a short name inside a long one; demand similar lengths as well.
    if fuzz.ratio(name, matched) < 70 and not (name in matched or matched in name):
        return None
    return int(pk), str(matched)


def match_enterprise(name: str) -> Enterprise | None:
    if not name:
        return None
    exact = Enterprise.objects.filter(name=name).first()
    if exact:
        return exact
    found = find_name(name, dict(Enterprise.objects.values_list("pk", "name")))
    return Enterprise.objects.get(pk=found[0]) if found else None


def match_project(name: str, region: Region | None) -> Project | None:
    if not name:
        return None
    qs = Project.objects.all()
    if region is not None and region.kind != "city":
        qs = qs.filter(region__path__startswith=region.path)
    exact = qs.filter(name=name).first()
    if exact:
        return exact
    candidates = dict(qs.values_list("pk", "name"))
    found = find_name(name, candidates)
    if found is None and region is not None:
        # “北镇市年产5万吨…项目” is recorded as “年产5万吨…项目” in 北镇市
        for alias in (region.name, region.short_name):
            if alias and name.startswith(alias):
                found = find_name(name[len(alias) :], candidates)
                break
    return Project.objects.get(pk=found[0]) if found else None


def match_event(payload: dict[str, Any]) -> Event | None:
    try:
        day = dt.date.fromisoformat(str(value(payload, "date")))
    except ValueError:
        return None
    found = find_name(
        str(value(payload, "name") or ""),
        dict(Event.objects.filter(date=day).values_list("pk", "name")),
    )
    return Event.objects.get(pk=found[0]) if found else None


def _region(payload: dict[str, Any]) -> Region | None:
    item = payload.get("region")
    code = item.get("code") if isinstance(item, dict) else None
    if code:
        return Region.objects.filter(code=code).first()
    return None


def city_region() -> Region | None:
    return Region.objects.filter(kind="city", abolished_on__isnull=True).order_by("path").first()


def _date(payload: dict[str, Any], key: str = "date") -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value(payload, key)))
    except ValueError:
        return None


def _set_match(proposal: Proposal, match: str, obj: Any = None, label: str = "") -> None:
    proposal.match = match
    proposal.match_type = obj._meta.label_lower if obj is not None else ""
    proposal.match_id = obj.pk if obj is not None else None
    proposal.match_label = (label or (str(obj) if obj is not None else ""))[:300]


def rematch(proposal: Proposal) -> None:
    """Decide whether the proposal creates a record, updates which one, or is already there."""
    p, kind = proposal.payload, proposal.kind
    if kind == Kind.EVENT:
        event = match_event(p)
        _set_match(proposal, Match.EXISTS if event else Match.CREATE, event)
    elif kind == Kind.SIGNING:
        project = match_project(str(value(p, "project") or ""), _region(p))
        day = _signing_date(proposal)
        if project is None:
            _set_match(proposal, Match.CREATE)
        elif day and Signing.objects.filter(project=project, signed_on=day).exists():
            _set_match(proposal, Match.EXISTS, project)
        else:
            _set_match(proposal, Match.UPDATE, project)
    elif kind == Kind.MILESTONE:
        project = match_project(str(value(p, "project") or ""), _region(p))
        stage = MILESTONE_STAGE.get(str(p.get("kind")), Stage.CONSTRUCTION)
        if project is None:
            _set_match(proposal, Match.CREATE)
        elif project.stage != Stage.WITHDRAWN and stages.ORDER.get(
            project.stage, -1
        ) >= stages.ORDER.get(stage, 99):
            _set_match(proposal, Match.EXISTS, project)
        else:
            _set_match(proposal, Match.UPDATE, project)
    elif kind == Kind.TARGET:
        indicator = _match_indicator(str(p.get("indicator", "")))
        if indicator is None:
            _set_match(proposal, Match.REFERENCE)
        else:
            _set_match(proposal, Match.UPDATE, indicator)
    else:
        _set_match(proposal, Match.REFERENCE)


def _match_indicator(name: str) -> Any:
    from guanjia.targets.models import Indicator

    found = find_name(name, dict(Indicator.objects.filter(active=True).values_list("pk", "name")))
    return Indicator.objects.get(pk=found[0]) if found else None


def _evidence_span(payload: dict[str, Any]) -> tuple[int, int]:
    spans = [
        (item["evidence"]["start"], item["evidence"]["end"])
        for item in payload.values()
        if isinstance(item, dict) and "evidence" in item
    ]
    if not spans:
        return 0, 0
    return min(s for s, _e in spans), max(e for _s, e in spans)


# -- ingesting -----------------------------------------------------------------------------


def read_upload(name: str, data: bytes) -> str:
    """The text of a .txt (UTF-8 or GB18030), .docx or text PDF upload, told apart by content
    (a .docx passes the hostile-file checks first: sizes, ratio, macros)."""
    import io

    from guanjia.core import uploads

    lower = name.lower()
    stream = io.BytesIO(data)
    if data.startswith(b"PK\x03\x04"):
        try:
            report = uploads.check_office(stream, name)
        except uploads.UploadRefused as exc:
            raise ValidationError(str(exc)) from exc
        if report.kind != "docx":
            raise ValidationError(_("upload a .txt, .docx or PDF file"))
        import docx

        document = docx.Document(stream)
        return "\n".join(p.text for p in document.paragraphs)
    if data.startswith(b"%PDF-"):
        from pypdf import PdfReader

        try:
            reader = PdfReader(stream)
            text = "\n".join(page.extract_text() or "" for page in reader.pages)
        except Exception as exc:  # a damaged or hostile PDF: pypdf raises many kinds
            raise ValidationError(
                _("“%(name)s” could not be read as a PDF.") % {"name": name}
            ) from exc
        if not text.strip():
            raise ValidationError(_("this PDF has no text layer (a scan?): paste the text"))
        return text
    if lower.endswith(".txt") or "." not in lower:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise ValidationError(_("the file is neither UTF-8 nor GB18030 text"))
    raise ValidationError(_("upload a .txt, .docx or PDF file"))


@transaction.atomic
def ingest(
    text: str,
    *,
    actor: Any = None,
    source_name: str = "",
    published: dt.date | None = None,
) -> tuple[IngestedDocument, bool]:
    """Store the document and its proposals; the same text again returns the same document
    (and proposes nothing new). Returns (document, created)."""
    text = normalise(text)
    if not text.strip():
        raise ValidationError(_("the text is empty"))
    limit = text_limit(IngestedDocument, "text")
    if len(text) > limit:  # refused before the extraction reads it
        raise ValidationError(
            _("the text is too long: at most %(max)d characters, this has %(n)d")
            % {"max": limit, "n": len(text)}
        )
    digest = sha256(text)
    existing = IngestedDocument.objects.filter(sha256=digest).first()
    if existing is not None:
        return existing, False
    result = extract(text, published=published, regions=gazetteer.from_db())
    doc_info = result["document"]
    document = IngestedDocument(
        text=text,
        sha256=digest,
        source_name=source_name[:200],
        published=dt.date.fromisoformat(doc_info["published"]) if doc_info["published"] else None,
        year=doc_info["year"],
        extraction=result,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic():  # two clerks pasting the same text at once: one document
            audited_save(document, actor)
    except (IntegrityError, ValidationError):
        same = IngestedDocument.objects.filter(sha256=digest).first()
        if same is None:
            raise
        return same, False
    position = 0
    city = city_region()
    for section, kind in SECTIONS:
        for payload in result[section]:
            if kind == Kind.SIGNING and "date" not in payload:
                payload["date"] = _signing_date_field(payload, result, document)
            start, end = _evidence_span(payload)
            proposal = Proposal(
                document=document,
                position=position,
                kind=kind,
                payload=payload,
                evidence_start=start,
                evidence_end=end,
                region=_region(payload) or city,
            )
            rematch(proposal)
            proposal.save()
            position += 1
    return document, True


def _signing_date_field(
    payload: dict[str, Any], result: dict[str, Any], document: IngestedDocument
) -> dict[str, Any]:
    """A signing's date for its card: its event's day as the text wrote it, else the day the
    document was published (empty when neither is known: the reviewer types it)."""
    index = payload.get("event")
    events = result.get("events", [])
    if index is not None and 0 <= int(index) < len(events):
        found = events[int(index)].get("date")
        if isinstance(found, dict) and found.get("value"):
            return dict(found)
    day = document.published
    return {"value": day.isoformat() if day else None, "approximate": False, "text": ""}


def _signing_date(proposal: Proposal) -> dt.date | None:
    """A signing is dated by its own date (shown on its card, prefilled when read), else by its
    event (accepted or proposed), else by the document."""
    own = _date(proposal.payload)
    if own is not None:
        return own
    index = proposal.payload.get("event")
    if index is not None:
        events = proposal.document.extraction.get("events", [])
        if 0 <= int(index) < len(events):
            day = _date(events[int(index)])
            if day:
                return day
    return proposal.document.published


def _event_for(proposal: Proposal) -> Event | None:
    if proposal.payload.get("event") is None:
        return None
    sibling = proposal.document.proposals.filter(kind=Kind.EVENT).order_by("position").first()
    if sibling is None:
        return None
    if sibling.result_id:
        return Event.objects.filter(pk=sibling.result_id).first()
    return match_event(sibling.payload)


# -- deciding ------------------------------------------------------------------------------


def _check(actor: Any, proposal: Proposal) -> Proposal:
    if not can_review(actor) or not in_scope(actor, proposal):
        raise PermissionDenied("not yours to decide")
    locked = Proposal.objects.select_for_update().select_related("document").get(pk=proposal.pk)
    if locked.status != Status.PROPOSED:
        raise ValidationError(_("this proposal was already decided"))
    return locked


@transaction.atomic
def edit(proposal: Proposal, actor: Any, changes: dict[str, str]) -> Proposal:
    """A reviewer corrects fields before accepting; the evidence stays, the value changes."""
    proposal = _check(actor, proposal)
    payload = dict(proposal.payload)
    for key, new in changes.items():
        if key not in EDITABLE.get(Kind(proposal.kind), []):
            continue
        new = (new or "").strip()
        current = payload.get(key)
        if isinstance(current, dict) and str(current.get("value")) == new:
            continue
        if key.endswith("_yuan") and new:
            try:
                new = str(Decimal(new))
            except InvalidOperation as exc:
                raise ValidationError({key: _("“%(v)s” is not an amount") % {"v": new}}) from exc
        if key.endswith("_count") and new and not new.isdigit():
            raise ValidationError({key: _("“%(v)s” is not a whole number") % {"v": new}})
        if key == "date" and new:
            try:
                dt.date.fromisoformat(new)
            except ValueError as exc:
                raise ValidationError({key: _("write the date as YYYY-MM-DD")}) from exc
        item = dict(current) if isinstance(current, dict) else {}
        item["value"] = (int(new) if key.endswith("_count") else new) if new else None
        item["edited"] = True
        payload[key] = item
    proposal.payload = payload
    rematch(proposal)
    audited_save(proposal, actor, note="edited before acceptance")
    return proposal


@transaction.atomic
def reject(proposal: Proposal, actor: Any, reason: str) -> Proposal:
    """Reject a proposal, saying why: the reason is its note and in the audit row."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("say why the proposal is rejected")})
    proposal = _check(actor, proposal)
    proposal.status = Status.REJECTED
    proposal.decided_by, proposal.decided_at = actor, timezone.now()
    proposal.note = reason[:300]
    audited_save(proposal, actor, note=f"rejected: {proposal.note}")
    return proposal


@transaction.atomic
def accept(proposal: Proposal, actor: Any) -> Proposal:
    """Write the proposal to the ledger through the ledger's services; all or nothing."""
    proposal = _check(actor, proposal)
    rematch(proposal)  # the ledger may have changed since the proposal was made
    result: Any = None
    if proposal.match == Match.EXISTS:
        result = _matched(proposal)
    elif proposal.kind == Kind.EVENT:
        result = _accept_event(proposal, actor)
    elif proposal.kind == Kind.SIGNING:
        result = _accept_signing(proposal, actor)
    elif proposal.kind == Kind.MILESTONE:
        result = _accept_milestone(proposal, actor)
    elif proposal.kind == Kind.TARGET and proposal.match == Match.UPDATE:
        result = _accept_target(proposal, actor)
    proposal.status = Status.ACCEPTED
    proposal.decided_by, proposal.decided_at = actor, timezone.now()
    if result is not None:
        proposal.result_type, proposal.result_id = result._meta.label_lower, result.pk
    audited_save(proposal, actor)
    return proposal


def _matched(proposal: Proposal) -> Any:
    from django.apps import apps

    if not proposal.match_type or not proposal.match_id:
        return None
    model = apps.get_model(proposal.match_type)
    return model._default_manager.filter(pk=proposal.match_id).first()


def _required(payload: dict[str, Any], key: str, message: str) -> Any:
    found = value(payload, key)
    if found in (None, ""):
        raise ValidationError({key: message})
    return found


def _wan(payload: dict[str, Any], key: str = "investment_yuan") -> Decimal:
    found = value(payload, key)
    if found in (None, ""):
        return Decimal(0)
    return (Decimal(str(found)) / 10_000).quantize(Decimal("0.0001"))


def _accept_event(proposal: Proposal, actor: Any) -> Event:
    p = proposal.payload
    day = _date(p)
    if day is None:
        raise ValidationError({"date": _("the event needs a date")})
    name = str(_required(p, "name", _("the event needs a name")))
    region = _region(p) or proposal.region or city_region()
    figures = ", ".join(
        f"{label} {value(p, key)}"
        for key, label in (
            ("enterprise_count", _("enterprises")),
            ("city_count", _("cities")),
            ("signing_count", _("projects signed")),
            ("investment_yuan", _("investment (yuan)")),
        )
        if value(p, key) not in (None, "")
    )
    return event_services.create_event(
        actor,
        reported_enterprise_count=_count(p, "enterprise_count"),
        reported_city_count=_count(p, "city_count"),
        reported_signing_count=_count(p, "signing_count"),
        reported_investment_wan=None
        if value(p, "investment_yuan") in (None, "")
        else _wan(p, "investment_yuan"),
        name=name[:200],
        kind=p.get("kind") or "other",
        date=day,
        region=region,
        location=str(value(p, "place") or "")[:120],
        description=_("Reported in “%(source)s”: %(figures)s")
        % {"source": proposal.document.title, "figures": figures},
    )


def _count(payload: dict[str, Any], key: str) -> int | None:
    found = value(payload, key)
    try:
        return None if found in (None, "") else max(0, int(str(found)))
    except ValueError:
        return None


def _enterprise(proposal: Proposal, actor: Any) -> Enterprise:
    p = proposal.payload
    name = str(
        _required(
            p, "enterprise", _("the text does not name the investor: edit the proposal to add it")
        )
    )
    found = match_enterprise(name)
    if found is not None and not _may_reference(actor, "enterprise", found):
        # Another area's enterprise: a project here would make it the reviewer's to read.
        raise ValidationError(
            {
                "enterprise": _(
                    "“%(name)s” is registered outside your area: you may not add projects for "
                    "it; ask the city's bureau"
                )
                % {"name": name}
            }
        )
    return found or create_enterprise(actor, name=name[:120])


def _may_reference(actor: Any, kind: str, obj: Any) -> bool:
    """Whether the reviewer may name `obj` on a write (`guanjia.accounts.scope`)."""
    if actor is None:
        return True  # the system itself (a command without a user)
    return referenceable(actor, kind).filter(pk=obj.pk).exists()


def _updated_project(proposal: Proposal, actor: Any) -> Project:
    """The matched project a proposal would change, if the reviewer may change it."""
    project = _matched(proposal)
    if project is None or not _may_reference(actor, "project", project):
        raise ValidationError(
            {"project": _("the matched project is not one you may change; ask the city's bureau")}
        )
    if actor is not None and not project_access.can_edit(actor, project):
        raise ValidationError(
            {"project": _("the matched project is not one you may change; ask the city's bureau")}
        )
    return project


def _accept_signing(proposal: Proposal, actor: Any) -> Signing:
    p = proposal.payload
    region = _region(p) or proposal.region
    if region is None:
        raise ValidationError({"region": _("the signing needs a signing government")})
    day = _signing_date(proposal)
    if day is None:
        raise ValidationError({"date": _("the signing needs a date")})
    amount = _wan(p)
    project = _updated_project(proposal, actor) if proposal.match == Match.UPDATE else None
    if project is None:
        name = str(_required(p, "project", _("the signing needs a project")))
        enterprise = _enterprise(proposal, actor)
        project = project_services.create_project(
            actor,
            stage=Stage.LEAD,
            stage_on=day,
            name=name[:200],
            enterprise=enterprise,
            region=region,
            total_investment_wan=amount,
        )
    return event_services.record_signing(
        actor,
        project=project,
        government=region,
        signed_on=day,
        amount_wan=amount,
        event=_event_for(proposal),
        note=_("from “%(source)s”") % {"source": proposal.document.title[:200]},
    )


def _accept_milestone(proposal: Proposal, actor: Any) -> Project:
    p = proposal.payload
    day = _date(p)
    if day is None:
        raise ValidationError({"date": _("the milestone needs a date")})
    stage = MILESTONE_STAGE.get(str(p.get("kind")), Stage.CONSTRUCTION)
    evidence = str((p.get("date") or {}).get("evidence", {}).get("text", ""))[:300]
    if proposal.match == Match.UPDATE:
        project = _updated_project(proposal, actor)
        project_services.transition(project, stage, actor, on=day, evidence=evidence)
        project.refresh_from_db()
        return project
    region = _region(p) or proposal.region
    if region is None:
        raise ValidationError({"region": _("the project needs a region")})
    name = str(_required(p, "project", _("the milestone needs a project")))
    return project_services.create_project(
        actor,
        stage=stage,
        stage_on=day,
        name=name[:200],
        enterprise=_enterprise(proposal, actor),
        region=region,
        total_investment_wan=_wan(p),
    )


def _accept_target(proposal: Proposal, actor: Any) -> Any:
    from guanjia.targets.periods import Period
    from guanjia.targets.services import set_target

    indicator = _matched(proposal)
    p = proposal.payload
    if value(p, "value_yuan") not in (None, ""):
        amount = _wan(p, "value_yuan")
    else:
        amount = Decimal(str(value(p, "value")))
    region = proposal.region or city_region()
    if region is None:
        raise ValidationError(_("there is no city to set the target for"))
    year = int(str(p.get("period") or proposal.document.year or 0)[:4])
    return set_target(actor, indicator, Period(year), region, amount)
