"""Ingest pages: paste or upload a text, then review its proposals one by one.

Access (every view): logged in, then the rules of `access` (who reviews texts, which
documents and proposals they see and decide).
"""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from guanjia.accounts.typing import AuthedRequest
from guanjia.core.bounds import text_limit
from guanjia.core.confirm import ConfirmForm, confirmed_reason

from . import access, services
from .models import IngestedDocument, Kind, Proposal, Status

MAX_UPLOAD = 10 * 1024 * 1024


class IngestForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        max_length=text_limit(IngestedDocument, "text"),
    )
    file = forms.FileField(
        label=gettext_lazy("or a file (.txt, .docx, PDF with text)"), required=False
    )
    published = forms.DateField(
        label=gettext_lazy("Published on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("For dates that leave out the year; default: the text's date line."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_UPLOAD:
                raise ValidationError(_("the file is larger than 10 MB"))
            data["text"] = services.read_upload(upload.name, upload.read())
            data["source_name"] = upload.name
        elif not (data.get("text") or "").strip():
            raise ValidationError(_("paste a text or choose a file"))
        else:
            data["source_name"] = (data["text"].strip().splitlines() or [""])[0][:80]
        return data


@login_required
@require_http_methods(["GET", "POST"])
def index(request: AuthedRequest) -> HttpResponse:
    access.require_reviewer(request.user)
    form = IngestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document, created = services.ingest(
                data["text"],
                actor=request.user,
                source_name=data["source_name"],
                published=data.get("published"),
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        else:
            if created:
                messages.success(request, _("Read. Review the proposed records below."))
            else:
                messages.info(request, _("This text was ingested before: here are its proposals."))
            return redirect("ingest:review", pk=document.pk)
    q = request.GET.get("q", "").strip()
    docs = access.documents_for(request.user).annotate(
        pending=Count("proposals", filter=Q(proposals__status=Status.PROPOSED), distinct=True),
        total=Count("proposals", distinct=True),
    )
    if q:
        docs = docs.filter(Q(source_name__icontains=q) | Q(text__icontains=q))
    page = Paginator(docs.order_by("-uploaded_at", "-id"), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "ingest/index.html",
        {"form": form, "page": page, "q": q},
    )


def _segments(document: IngestedDocument, proposals: list[Proposal]) -> list[dict[str, Any]]:
    """The text cut where evidence sentences and figures start and end, for highlighting."""
    text = document.text
    sentences: dict[tuple[int, int], set[int]] = {}
    figures: list[tuple[int, int, int]] = []
    for proposal in proposals:
        for item in proposal.payload.values():
            if not isinstance(item, dict) or "evidence" not in item:
                continue
            ev = item["evidence"]
            sentences.setdefault((ev["start"], ev["end"]), set()).add(proposal.pk)
            if item.get("span"):
                figures.append((item["span"][0], item["span"][1], proposal.pk))
    cuts = {0, len(text)}
    for s, e in sentences:
        cuts |= {s, e}
    for s, e, _pk in figures:
        cuts |= {s, e}
    points = sorted(c for c in cuts if 0 <= c <= len(text))
    out = []
    for start, end in zip(points, points[1:], strict=False):
        owners = {pk for (s, e), pks in sentences.items() if s <= start and end <= e for pk in pks}
        is_figure = any(s <= start and end <= e for s, e, _pk in figures)
        out.append(
            {
                "text": text[start:end],
                "evidence": bool(owners),
                "figure": is_figure,
                "owners": " ".join(f"p{pk}" for pk in sorted(owners)),
                "start": start,
            }
        )
    return out


FIELD_LABELS = {
    "date": gettext_lazy("Date"),
    "name": gettext_lazy("Name"),
    "kind": gettext_lazy("Kind"),
    "place": gettext_lazy("Place"),
    "region": gettext_lazy("Region"),
    "city_count": gettext_lazy("Cities"),
    "enterprise_count": gettext_lazy("Enterprises"),
    "signing_count": gettext_lazy("Projects signed"),
    "investment_yuan": gettext_lazy("Investment (yuan)"),
    "enterprise": gettext_lazy("Enterprise"),
    "enterprise_text": gettext_lazy("Investor as written"),
    "project": gettext_lazy("Project"),
    "project_count": gettext_lazy("Number of projects"),
    "steward_count": gettext_lazy("Stewards"),
    "service_count": gettext_lazy("Services"),
    "requests_resolved": gettext_lazy("Requests resolved"),
    "satisfaction_rate": gettext_lazy("Satisfaction rate (%)"),
    "indicator": gettext_lazy("Indicator"),
    "part_of": gettext_lazy("Part of"),
    "period": gettext_lazy("Period"),
    "unit": gettext_lazy("Unit"),
    "value": gettext_lazy("Value"),
    "value_yuan": gettext_lazy("Value (yuan)"),
    "cause": gettext_lazy("Cause"),
    "planned_from": gettext_lazy("Planned for"),
    "planned_to": gettext_lazy("Moved to"),
}


MILESTONE_KINDS = {
    "started": pgettext_lazy("milestone", "Construction started"),
    "in_operation": pgettext_lazy("milestone", "In operation"),
    "grid_connected": pgettext_lazy("milestone", "Connected to the grid"),
    "full_capacity": pgettext_lazy("milestone", "At full capacity"),
    "completed": pgettext_lazy("milestone", "Completed"),
}


def _kind_label(proposal: Proposal, kind: Any) -> Any:
    """An event's or a milestone's kind in words (“推介会”, “开工”), not its code."""
    from guanjia.events.models import EventKind

    if proposal.kind == Kind.EVENT and kind in EventKind.values:
        return EventKind(kind).label
    if proposal.kind == Kind.MILESTONE:
        return MILESTONE_KINDS.get(str(kind), kind)
    return kind


def _result(proposal: Proposal) -> dict[str, Any] | None:
    """The ledger record an accepted proposal became, by name and with its page."""
    if not proposal.result_id:
        return None
    urls = {
        "events.event": "events:event_detail",
        "projects.project": "projects:project_detail",
        "enterprises.enterprise": "enterprises:enterprise_detail",
    }
    if proposal.result_type == "events.signing":
        from guanjia.events.models import Signing

        signing = Signing.objects.select_related("project").filter(pk=proposal.result_id).first()
        if signing is None:
            return None
        return {
            "label": _("Signing: %(project)s") % {"project": signing.project.name},
            "url": reverse("projects:project_detail", args=[signing.project_id]),
        }
    from django.apps import apps

    try:
        model = apps.get_model(proposal.result_type)
    except (LookupError, ValueError):
        return None
    obj = model._default_manager.filter(pk=proposal.result_id).first()
    if obj is None:
        return None
    url = urls.get(proposal.result_type)
    return {
        "label": f"{model._meta.verbose_name}: {obj}",
        "url": reverse(url, args=[obj.pk]) if url else "",
    }


def _fields(proposal: Proposal) -> list[dict[str, Any]]:
    editable = services.EDITABLE.get(Kind(proposal.kind), [])
    rows = []
    for key, item in proposal.payload.items():
        if isinstance(item, dict) and "value" in item:
            rows.append(
                {
                    "key": key,
                    "value": item.get("value"),
                    "text": item.get("text", ""),
                    "approximate": item.get("approximate", False),
                    "edited": item.get("edited", False),
                    "editable": key in editable,
                    "evidence": (item.get("evidence") or {}).get("text", ""),
                }
            )
        elif key == "kind":
            rows.append({"key": key, "value": _kind_label(proposal, item), "editable": False})
        elif key in ("indicator", "part_of", "period", "unit", "enterprise_text"):
            rows.append({"key": key, "value": item, "editable": False})
    for row in rows:
        row["label"] = FIELD_LABELS.get(row["key"], row["key"])
    shown = {row["key"] for row in rows}
    for key in editable:
        if key not in shown and key != "value" and not (key == "value_yuan" and "value" in shown):
            rows.append(
                {
                    "key": key,
                    "label": FIELD_LABELS.get(key, key),
                    "value": None,
                    "editable": True,
                    "missing": True,
                }
            )
    return rows


def _ledger_service_figures(proposal: Proposal) -> dict[str, Any] | None:
    """For reported service figures, what the ledger computes to the same date (the headline
    figures come from records; the reported ones are kept for comparison only)."""
    if proposal.kind != Kind.SERVICE_STATS:
        return None
    from guanjia.servicerecords import figures

    day = services._date(proposal.payload) or proposal.document.published
    if day is None:
        return None
    found = figures.totals(dt.date(2000, 1, 1), day, proposal.region)
    rate = found.satisfaction_rate
    return {
        "date": day,
        "stewards": found.active_stewards,
        "services": found.services,
        "requests": found.requests_handled,
        "satisfaction": None if rate is None else round(rate * 100, 1),
    }


@login_required
@require_http_methods(["GET"])
def review(request: AuthedRequest, pk: int) -> HttpResponse:
    document = access.get_document(request.user, pk)
    proposals = list(document.proposals.select_related("region", "decided_by"))
    rows = [
        {
            "p": p,
            "fields": _fields(p),
            "may_decide": access.in_scope(request.user, p) and p.status == Status.PROPOSED,
            "ledger": _ledger_service_figures(p),
            "result": _result(p),
            "reject_form": ConfirmForm(
                prefix_id=f"reject-{p.pk}", confirm_label=_("Yes, reject this proposal")
            ),
        }
        for p in proposals
    ]
    return render(
        request,
        "ingest/review.html",
        {
            "document": document,
            "rows": rows,
            "segments": _segments(document, proposals),
            "pending": sum(1 for p in proposals if p.status == Status.PROPOSED),
        },
    )


def _back(proposal: Proposal) -> HttpResponse:
    return redirect(
        reverse("ingest:review", args=[proposal.document_id]) + f"#proposal-{proposal.pk}"
    )


def _error(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(
        request, _("Not saved: %(errors)s") % {"errors": "; ".join(str(m) for m in exc.messages)}
    )


def _changes(request: HttpRequest) -> dict[str, str]:
    """The corrected fields of a proposal's form (inputs named f_<field>)."""
    return {
        k[len("f_") :]: str(request.POST.get(k, "")) for k in request.POST if k.startswith("f_")
    }


@login_required
@require_POST
def accept(request: AuthedRequest, pk: int) -> HttpResponse:
    proposal = access.get_proposal(request.user, pk)
    changes = _changes(request)
    try:
        if changes:
            proposal = services.edit(proposal, request.user, changes)
        services.accept(proposal, request.user)
    except ValidationError as exc:
        _error(request, exc)
    except PermissionDenied:
        # e.g. a target: only a city admin sets targets (the targets app's own rule)
        messages.error(request, _("Not saved: your role may not make this change."))
    else:
        messages.success(request, _("Accepted: %(what)s") % {"what": proposal.name})
    return _back(proposal)


@login_required
@require_POST
def edit(request: AuthedRequest, pk: int) -> HttpResponse:
    proposal = access.get_proposal(request.user, pk)
    changes = _changes(request)
    try:
        services.edit(proposal, request.user, changes)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Saved the corrections; the proposal still waits."))
    return _back(proposal)


@login_required
@require_POST
def reject(request: AuthedRequest, pk: int) -> HttpResponse:
    proposal = access.get_proposal(request.user, pk)
    reason, form = confirmed_reason(request.POST)
    if reason is None:
        messages.error(
            request,
            _("Not rejected: %(errors)s")
            % {"errors": "; ".join(str(m) for errs in form.errors.values() for m in errs)},
        )
        return _back(proposal)
    try:
        services.reject(proposal, request.user, reason)
    except ValidationError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Rejected: %(what)s") % {"what": proposal.name})
    return _back(proposal)
