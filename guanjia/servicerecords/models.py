"""Service records (服务记录): every service a steward gives, entered once, counted from here.

The figures the city reports ("687 stewards, 6000+ services") are queries over these rows and
the requests (`guanjia.servicerecords.figures`), never typed numbers.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import TEXT_MAX, bounded_text


class Kind(models.TextChoices):
    VISIT = "visit", _("Visit")  # 走访
    CALL = "call", _("Phone call")  # 电话
    MEETING = "meeting", _("Meeting")  # 座谈/会议
    PROBLEM_SOLVED = "problem_solved", _("Problem solved")  # 解决问题
    POLICY = "policy", _("Policy briefing")  # 政策宣讲
    OTHER = "other", _("Other")


class ServiceRecord(models.Model):
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("steward"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    # The area the service counts for: the project's, else the enterprise's, else the
    # steward's. Set by `services.log_service`; area figures and access read it.
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind of service"), max_length=20, choices=Kind.choices)
    date = models.DateField(_("date"))
    summary = bounded_text(_("what was done"), TEXT_MAX)
    problems_solved = models.PositiveSmallIntegerField(_("problems solved"), default=0)
    request = models.ForeignKey(
        "requests.ServiceRequest",
        verbose_name=_("request"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_records",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["steward", "date"], name="servicerecord_steward"),
            models.Index(fields=["region", "date"], name="servicerecord_region"),
            models.Index(fields=["enterprise", "date"], name="servicerecord_enterprise"),
            # The city-wide figures and the unfiltered list read a date range over everything.
            models.Index(fields=["date"], name="servicerecord_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="servicerecord_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.enterprise}"

    def clean(self) -> None:
        if self.kind == Kind.PROBLEM_SOLVED and not self.problems_solved:
            raise ValidationError(
                {"problems_solved": _("A problem solved counts at least one problem.")}
            )
