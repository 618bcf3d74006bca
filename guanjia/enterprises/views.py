"""The enterprise pages: list, page, forms, and the options of the project form's enterprise
select. Parse the request, check access, call a service, render."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from guanjia.accounts.masking import can_unmask
from guanjia.accounts.scope import require_writer
from guanjia.accounts.typing import AuthedRequest
from guanjia.core.hooks import Hooks
from guanjia.core.views import add_service_errors, history_rows, is_htmx, paginate
from guanjia.enterprises import access as enterprise_access
from guanjia.enterprises import services as enterprise_services
from guanjia.enterprises.models import Contact, Enterprise

from .forms import EnterpriseFilterForm, EnterpriseForm

# What the enterprise page shows of the apps above this one (its projects, its events): each
# registers `(user, enterprise) -> {context name: what that user may see}` in its ready().
detail_parts: Hooks[Callable[[Any, Enterprise], dict[str, Any]]] = Hooks(
    "enterprises.views.detail_parts"
)

ENTERPRISE_OPTIONS_LIMIT = 50


# Enterprise pages ----------------------------------------------------------------------------


@login_required
def enterprise_list(request: AuthedRequest) -> HttpResponse:
    form = EnterpriseFilterForm(request.GET)
    qs = enterprise_access.enterprises_for(request.user).select_related("region", "industry")
    q = (request.GET.get("q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__istartswith=q.replace(" ", "")))
    ownership = request.GET.get("ownership") or ""
    if ownership:
        qs = qs.filter(ownership=ownership)
    qs = qs.order_by("name", "pk").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name"))
    )
    page = paginate(request, qs)
    context = {
        "form": form,
        "page": page,
        "can_create": enterprise_access.can_create(request.user),
    }
    template = (
        "enterprises/_enterprise_results.html"
        if is_htmx(request)
        else "enterprises/enterprise_list.html"
    )
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def enterprise_options(request: AuthedRequest) -> HttpResponse:
    """<option>s for the enterprise select of the project form, found by name or code."""
    qs = enterprise_access.enterprises_for(request.user).order_by("name")
    q = (request.GET.get("enterprise_q") or "").strip()[:100]
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__istartswith=q))
    found = list(qs[:ENTERPRISE_OPTIONS_LIMIT])
    selected = request.GET.get("enterprise") or ""
    if selected.isdigit() and all(str(e.pk) != selected for e in found):
        current = enterprise_access.enterprises_for(request.user).filter(pk=selected).first()
        if current is not None:
            found.insert(0, current)
    return render(
        request,
        "enterprises/_enterprise_options.html",
        {"enterprises": found, "selected": selected, "empty_label": BLANK_CHOICE_LABEL},
    )


@login_required
def enterprise_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    enterprise = enterprise_access.get_enterprise(user, pk)
    writable = user.can_write and enterprise_access.can_edit(user, enterprise)
    context = {
        "enterprise": enterprise,
        "contacts": enterprise.contacts.all(),
        "steward": enterprise_services.steward_of(enterprise),
        "show_phones": writable,  # e-mail addresses for those who serve them
        # Phones stay masked; the unmask permission reveals one at a time (audited).
        "can_unmask": can_unmask(user),
        "projects": [],
        "events": [],
        "history": history_rows(enterprise),
        "writable": writable,
    }
    for part in detail_parts:
        context.update(part(user, enterprise))
    return render(request, "enterprises/enterprise_detail.html", context)


def _enterprise_form_page(
    request: AuthedRequest,
    form: EnterpriseForm,
    enterprise: Enterprise | None = None,
    title: str = "",
) -> HttpResponse:
    status = 400 if form.is_bound else 200
    return render(
        request,
        "enterprises/enterprise_form.html",
        {"form": form, "enterprise": enterprise, "title": title},
        status=status,
    )


@login_required
def enterprise_create(request: AuthedRequest) -> HttpResponse:
    if not enterprise_access.can_create(request.user):
        raise PermissionDenied("read-only role")
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = enterprise_services.create_enterprise(request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The enterprise is saved."))
            return redirect("enterprises:enterprise_detail", pk=enterprise.pk)
    return _enterprise_form_page(request, form)


@login_required
def enterprise_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    enterprise = enterprise_access.get_enterprise(request.user, pk, write=True)
    require_writer(request.user)
    title = enterprise.name
    form = EnterpriseForm(request.POST or None, instance=enterprise, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise_services.update_enterprise(enterprise, request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("enterprises:enterprise_detail", pk=enterprise.pk)
    return _enterprise_form_page(request, form, enterprise, title)
