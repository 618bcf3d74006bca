"""Django admin is for configuration by city admins only; every change there is audited."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .audit import record, snapshot
from .hooks import Hooks
from .models import AuditAction, AuditEntry, StatusChange

# Who may configure: the accounts app registers its rule (`accounts.scope.is_admin`) in its
# AppConfig.ready(); until something is registered, nobody may.
admin_rules: Hooks[Callable[[Any], bool]] = Hooks("core.admin.admin_rules")


def _admin_only(request: HttpRequest) -> bool:
    user = request.user
    if not (user.is_active and user.is_authenticated):
        return False
    return any(rule(user) for rule in admin_rules)


# Staff status is not how we grant the admin: the city admin role is.
admin.site.has_permission = _admin_only  # type: ignore[method-assign]
admin.site.site_header = _("Guanjia configuration")
admin.site.site_title = _("Guanjia")


def _deletion_reason(request: HttpRequest) -> str:
    return str(request.POST.get("reason", "")).strip()[:300]


class AuditedAdmin(admin.ModelAdmin):
    """ModelAdmin that records create, update and delete in the audit log. A deletion, of one
    object or of the selected ones, needs a reason on Django's confirmation page; the reason
    is in each deletion's audit row."""

    delete_confirmation_template = "core/admin_delete_confirmation.html"
    delete_selected_confirmation_template = "core/admin_delete_selected_confirmation.html"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _admin_only(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return _admin_only(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = snapshot(type(obj)._default_manager.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change:
            after = snapshot(obj)
            diff = {k for k in after if before and before.get(k) != after[k]}
            if diff:
                record(
                    request.user,
                    AuditAction.UPDATE,
                    obj,
                    before={k: before.get(k) for k in diff} if before else None,
                    after={k: after[k] for k in diff},
                    note="admin",
                )
        else:
            record(request.user, AuditAction.CREATE, obj, note="admin")

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST" and not (
            _deletion_reason(request) and request.POST.get("post")
        ):
            # Back to the confirmation page: nothing is deleted without a reason and the
            # page's "Yes, I'm sure" (its hidden "post" field).
            self.message_user(request, _("Give a reason for the deletion."), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        post = request.POST
        if (
            request.method == "POST"
            and post.get("action") == "delete_selected"
            and post.get("post")
            and not _deletion_reason(request)
        ):
            # The confirmed "delete selected" without a reason: show the confirmation again.
            self.message_user(request, _("Give a reason for the deletion."), messages.ERROR)
            unconfirmed = post.copy()
            del unconfirmed["post"]
            request.POST = unconfirmed  # type: ignore[assignment]
        return super().changelist_view(request, extra_context)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        reason = _deletion_reason(request)
        record(
            request.user, AuditAction.DELETE, obj, note=f"admin: {reason}" if reason else "admin"
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Inline rows (an enterprise's contacts) are audited like the object they belong to."""
        before = {}
        for row in formset.initial_forms:
            obj = row.instance
            if obj.pk is not None and row.has_changed():
                before[obj.pk] = snapshot(type(obj)._default_manager.get(pk=obj.pk))
        for row in getattr(formset, "deleted_forms", []):
            if row.instance.pk is not None:
                record(request.user, AuditAction.DELETE, row.instance, note="admin")
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            record(request.user, AuditAction.CREATE, obj, note="admin")
        for obj, _fields in formset.changed_objects:
            old, new = before.get(obj.pk) or {}, snapshot(obj)
            diff = {k for k in new if old.get(k) != new[k]}
            if diff:
                record(
                    request.user,
                    AuditAction.UPDATE,
                    obj,
                    before={k: old.get(k) for k in diff},
                    after={k: new[k] for k in diff},
                    note="admin",
                )


class AdminOnlyInline(admin.options.InlineModelAdmin):
    """An inline granted like the rest of the configuration: to city admins (its saves are
    audited by the AuditedAdmin it sits in)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the system writes and nobody edits (the audit log, the steps' history): city
    admins read it; nobody adds, changes or deletes it here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _admin_only(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _admin_only(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "actor__username"]
    date_hierarchy = "at"


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    """The step engine's generic history (`core.steps`): the steps taken on records whose
    domain keeps no timeline of its own."""

    list_display = ["at", "content_type", "object_id", "step", "from_status", "to_status", "actor"]
    list_filter = [("content_type", admin.RelatedOnlyFieldListFilter), "to_status", "step"]
    search_fields = ["object_id", "step", "note", "actor__username"]
    list_select_related = ["content_type", "actor"]
    date_hierarchy = "at"
