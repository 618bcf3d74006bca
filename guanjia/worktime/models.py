"""The working calendar: the days that differ from "Monday to Friday" (holidays and 调休)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import validate_name


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (no work)")
    WORKDAY = "workday", _("Adjusted working day (调休)")


class CalendarDay(models.Model):
    """An exception to the weekend rule; next year's schedule can be typed in by hand."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True, validators=[validate_name])

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()
