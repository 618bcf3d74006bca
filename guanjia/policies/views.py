"""Web pages for policies. Thin: the rules live in rules.py and services.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from guanjia.accounts.models import User
from guanjia.core.confirm import ConfirmForm
from guanjia.core.files import Served, serving_view
from guanjia.enterprises.access import enterprises_for

from . import access, rules, services
from .forms import PolicyForm, ProfileForm
from .models import EnterpriseProfile, MatchStatus, Policy, PolicyDocument


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _library_user(request: HttpRequest) -> User:
    user = _user(request)
    if not access.can_view_library(user):
        raise PermissionDenied
    return user


@login_required
def library(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if access.may_open_deliveries(user):
        return redirect("policies:for_you")
    _library_user(request)
    qs = Policy.objects.annotate(
        matched=Count("matches"),
        granted=Count("matches", filter=Q(matches__status=MatchStatus.GRANTED)),
    ).order_by("-created_at", "-pk")
    page = Paginator(qs, settings.GUANJIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "policies/library.html",
        {"page": page, "can_edit": access.can_edit_policies(user)},
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _library_user(request)
    policy = get_object_or_404(Policy, pk=pk)
    conditions = [rules.describe(leaf) for leaf in rules.leaves(policy.rule)]
    matches = access.matches_for(user).filter(policy=policy)[:200]
    return render(
        request,
        "policies/detail.html",
        {
            "policy": policy,
            "conditions": conditions,
            "combine": "any" if "any" in policy.rule else "all",
            "matches": matches,
            "can_edit": access.can_edit_policies(user),
        },
    )


@login_required
def edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    if not access.can_edit_policies(user):
        raise PermissionDenied
    policy = get_object_or_404(Policy, pk=pk) if pk else Policy()
    form = PolicyForm(request.POST or None, request.FILES or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_policy(
                user, form.save(commit=False), form.cleaned_data.get("documents") or []
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Policy saved; matching runs in the background."))
            return redirect("policies:detail", policy.pk)
    return render(request, "policies/edit.html", {"form": form, "policy": policy})


def _document(request: HttpRequest, pk: int) -> Served:
    """A policy's document, to library users and to the enterprises it was delivered to."""
    user = _user(request)
    doc = get_object_or_404(PolicyDocument.objects.select_related("policy"), pk=pk)
    if not access.can_see_policy(user, doc.policy):
        raise Http404("no such document")
    return Served(doc.file, doc.name)


document = serving_view(_document)


@login_required
@require_http_methods(["GET", "POST"])
def remove_document(request: HttpRequest, pk: int) -> HttpResponse:
    """Taking a document off a policy: a confirmation page with a reason and a ticked box."""
    user = _user(request)
    if not access.can_edit_policies(user):
        # Before the look-up: a refused caller learns nothing of which documents exist.
        raise PermissionDenied
    doc = get_object_or_404(PolicyDocument.objects.select_related("policy"), pk=pk)
    form = ConfirmForm(
        request.POST if request.method == "POST" else None,
        confirm_label=_("Yes, remove this document"),
    )
    if form.is_valid():
        services.remove_document(user, doc, form.cleaned_data["reason"])
        messages.success(request, _("Document removed."))
        return redirect("policies:edit", doc.policy_id)
    context = {
        "title": _("Remove a policy document"),
        "what": f"{doc.policy.title} · {doc.name}",
        "consequence": _(
            "The document and its file are removed from the policy; the removal and its "
            "reason are kept in the audit log."
        ),
        "button": _("Remove the document"),
        "cancel_url": reverse("policies:edit", args=[doc.policy_id]),
        "confirm_form": form,
    }
    return render(request, "core/confirm.html", context, status=400 if form.errors else 200)


@login_required
def for_you(request: HttpRequest) -> HttpResponse:
    """Policies for you: an enterprise contact's deliveries."""
    user = _user(request)
    if not access.may_open_deliveries(user):
        return redirect("policies:deliveries")
    matches = access.matches_for(user)
    page = Paginator(matches, settings.GUANJIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "policies/for_you.html", {"page": page})


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    """Staff: deliveries to the enterprises they look after, filterable by status."""
    user = _library_user(request)
    qs = access.matches_for(user)
    status = request.GET.get("status", "")
    if status in MatchStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, settings.GUANJIA_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "policies/deliveries.html",
        {"page": page, "status": status, "statuses": MatchStatus.choices},
    )


@login_required
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    match = get_object_or_404(access.matches_for(user), pk=pk)
    services.mark_read(user, match)
    return render(
        request,
        "policies/match.html",
        {
            "match": match,
            "policy": match.policy,
            "reasons": services.reasons(match),
            "is_enterprise": access.may_open_deliveries(user),
            "can_apply": access.may_apply(user, match)
            and match.status in (MatchStatus.NEW, MatchStatus.READ),
            "can_record": access.can_record_grant(user, match)
            and match.status != MatchStatus.GRANTED,
        },
    )


@require_POST
@login_required
def applied(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    match = get_object_or_404(access.matches_for(user), pk=pk)
    try:
        services.mark_applied(user, match)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Marked as applied."))
    return redirect("policies:match", match.pk)


@require_POST
@login_required
def outcome(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    match = get_object_or_404(access.matches_for(user), pk=pk)
    try:
        services.record_outcome(
            user,
            match,
            granted=request.POST.get("outcome") != "rejected",
            amount_wan=services.parse_amount(request.POST.get("amount_wan")),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Outcome recorded."))
    return redirect("policies:match", match.pk)


@login_required
def profile(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff set the facts policies ask about: headcount, high-tech, tags."""
    user = _user(request)
    if not access.can_edit_profile(user):
        raise PermissionDenied
    enterprise = get_object_or_404(enterprises_for(user), pk=pk)
    current = EnterpriseProfile.objects.filter(enterprise=enterprise).first()
    initial = (
        {
            "headcount": current.headcount,
            "high_tech": current.high_tech,
            "tags": ", ".join(current.tag_list()),
        }
        if current
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.save_profile(user, enterprise, **form.cleaned_data)
        messages.success(request, _("Saved; matching runs in the background."))
        return redirect("policies:profile", enterprise.pk)
    return render(request, "policies/profile.html", {"form": form, "enterprise": enterprise})
