from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from guanjia.accounts.scope import referenceable_regions, region_q
from guanjia.core.admin import AdminOnlyInline, AuditedAdmin

from .models import Category, IntakeLimit, ReplyTemplate, SlaPolicy


class IntakeLimitInline(AdminOnlyInline, admin.TabularInline):
    """受理时限 of the category, per channel (blank: all its channels); without one, the
    setting GUANJIA_INTAKE_HOURS."""

    model = IntakeLimit
    extra = 0


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    inlines = [IntakeLimitInline]
    list_display = ["code", "name", "group", "department", "default_priority", "active"]
    list_filter = ["active", "group"]
    search_fields = ["code", "name"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(AuditedAdmin):
    list_display = ["category", "priority", "sign_days", "reply_days", "resolve_days"]
    list_filter = ["priority"]


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(AuditedAdmin):
    """答复模板: a city admin keeps those of their own city (or area) and the areas below it;
    another city's templates are neither listed nor offered as an area to file one under."""

    list_display = ["name", "category", "region", "active", "sort_order"]
    list_filter = ["active", "category"]
    search_fields = ["name", "text"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReplyTemplate]:
        user: Any = request.user
        return super().get_queryset(request).filter(region_q(user, "region"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "region":
            kwargs["queryset"] = referenceable_regions(request.user)  # type: ignore[arg-type]
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
