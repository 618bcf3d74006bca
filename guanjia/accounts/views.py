"""Log-in, the second factor, password change, revealing masked data, the audit export."""

import base64
import datetime as dt
import io
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from guanjia.core import audit, xlsx
from guanjia.core.audit import record
from guanjia.core.models import AuditAction, AuditEntry

from . import access, masking, security
from .models import User


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _after_step(request: HttpRequest, step: str) -> HttpResponseRedirect:
    security.done(request, step)
    remaining = security.pending(request)
    if remaining:
        from .middleware import GATE_PAGES

        return HttpResponseRedirect(reverse(GATE_PAGES[remaining[0]]) + "?next=" + _next(request))
    return HttpResponseRedirect(_next(request))


class LoginView(auth_views.LoginView):
    """Django's log-in (it passes the request to authenticate(), so django-axes counts
    failures per account and per address); the second factor follows as its own step."""

    template_name = "registration/login.html"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of a log-in for a user with a confirmed TOTP device."""
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        for device in TOTPDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                record(user, AuditAction.LOGIN, user, note="two-factor verified")
                return _after_step(request, security.VERIFY)
        form.add_error(
            "token", _("This code is not valid. Check your phone's clock and try again.")
        )
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next(request)})


def _qr_svg(uri: str) -> str:
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


@login_required
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), confirm one code."""
    user: User = request.user  # type: ignore[assignment]
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if confirmed and request.method == "GET":
        return render(request, "accounts/otp_enrol.html", {"enrolled": True})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            record(user, AuditAction.CREATE, device, note="two-factor device enrolled")
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return _after_step(request, security.ENROL)
        form.add_error(
            "token", _("This code is not valid. Check your phone's clock and try again.")
        )
    context = {
        "form": form,
        "qr": _qr_svg(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "required": security.two_factor_required(user),
        "next": _next(request),
    }
    return render(request, "accounts/otp_enrol.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["expired"] = security.PASSWORD in security.pending(self.request)
        context["next"] = _next(self.request)
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        form.save()
        update_session_auth_hash(self.request, form.user)
        record(form.user, AuditAction.UPDATE, form.user, note="password changed")
        messages.success(self.request, _("Your password was changed."))
        return _after_step(self.request, security.PASSWORD)


password_change = login_required(PasswordChangeView.as_view())


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The user's own security: two-factor status, password age, the policy in force."""
    user: User = request.user  # type: ignore[assignment]
    from django.contrib.auth.password_validation import password_validators_help_texts

    context = {
        "has_device": security.has_device(user),
        "required": security.two_factor_required(user),
        "password_changed_at": user.password_changed_at,
        "policy": password_validators_help_texts(),
        "can_read_audit_log": access.can_read_audit_log(user),
    }
    return render(request, "accounts/account.html", context)


@login_required
@require_POST
def reveal(request: HttpRequest, kind: str, pk: int, field: str) -> HttpResponse:
    """One masked value in full, for a user with the unmask permission; audited."""
    value = masking.reveal(request.user, kind, pk, field)  # type: ignore[arg-type]
    return render(request, "accounts/_revealed.html", {"value": value, "field": field})


class AuditFilterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    actor = forms.CharField(label=gettext_lazy("User (name or id)"), required=False)
    object_type = forms.CharField(
        label=gettext_lazy("Object type"),
        required=False,
        help_text=gettext_lazy("For example projects.project or enterprises.enterprise"),
    )
    object_id = forms.CharField(label=gettext_lazy("Object id"), required=False)
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")],
        required=False,
    )


def _require_city_admin(user: User) -> None:
    if not access.can_read_audit_log(user):
        raise PermissionDenied("the audit log is exported by city admins")


def _audit_page(request: HttpRequest, form: "AuditFilterForm", status: int = 200) -> HttpResponse:
    recent = AuditEntry.objects.select_related("actor")[:20]
    context = {"form": form, "recent": recent, "retention_days": audit.retention_days()}
    return render(request, "accounts/audit_export.html", context, status=status)


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """The latest audit entries and the export form (city admins)."""
    _require_city_admin(request.user)  # type: ignore[arg-type]
    return _audit_page(request, AuditFilterForm())


@login_required
@require_POST
def audit_export(request: HttpRequest) -> HttpResponse | FileResponse:
    """The audit log filtered by dates, user and object, as .xlsx or CSV (city admins).

    A POST: an export is itself recorded in the log, so it is a change, not a page to
    prefetch or to follow from a link (a GET is 405)."""
    user: User = request.user  # type: ignore[assignment]
    _require_city_admin(user)
    form = AuditFilterForm(request.POST)
    if not form.is_valid():
        return _audit_page(request, form, status=400)
    data = form.cleaned_data
    entries = audit.export_queryset(
        start=data["start"],
        end=data["end"],
        actor=data["actor"].strip(),
        object_type=data["object_type"].strip(),
        object_id=data["object_id"].strip(),
    )
    filters = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in data.items() if v}
    record(user, AuditAction.EXPORT, user, after=filters, note="audit log exported")
    name = f"audit-{xlsx.stamp()}"
    if data["format"] == "csv":
        text = io.StringIO()
        audit.write_csv(text, entries)
        response = HttpResponse(text.getvalue().encode(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    rows = (audit.export_row(e) for e in entries.iterator(chunk_size=2000))
    return xlsx.download(
        f"{name}.xlsx", lambda book: xlsx.write_table(book, "audit", audit.xlsx_columns(), rows)
    )


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a locked-out log-in: 429 and the reason, in the user's language,
    with Retry-After: the seconds until the cool-off ends."""
    from django.conf import settings

    from .lockout import seconds_left

    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    response = render(request, "registration/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds_left(request, credentials))
    return response
