"""Ingested documents and the records proposed from them, waiting for a person's decision."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import DOCUMENT_TEXT_MAX, bounded_text, year_validators


class IngestedDocument(models.Model):
    """A text read once: the same text (by its SHA-256) is the same document."""

    source_name = models.CharField(_("source"), max_length=200, blank=True)
    text = bounded_text(_("text"), DOCUMENT_TEXT_MAX)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    published = models.DateField(_("published"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=year_validators()
    )
    extraction = models.JSONField(_("extraction"), default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ingested document")
        verbose_name_plural = _("ingested documents")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.source_name or self.text[:40]

    @property
    def title(self) -> str:
        return str(self.extraction.get("document", {}).get("title") or self)


class Kind(models.TextChoices):
    EVENT = "event", _("Event")
    SIGNING = "signing", _("Signing")
    MILESTONE = "milestone", _("Milestone")
    SERVICE_STATS = "service_stats", _("Service figures")
    TARGET = "target", _("Target")
    TOTAL = "total", _("Running total")
    ISSUE = "issue", _("Reported problem")


class Status(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Match(models.TextChoices):
    CREATE = "create", _("creates a record")
    UPDATE = "update", _("updates a record")
    EXISTS = "exists", _("already in the ledger")
    REFERENCE = "reference", _("kept as a reported figure")


class Proposal(models.Model):
    document = models.ForeignKey(
        IngestedDocument, on_delete=models.CASCADE, related_name="proposals"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payload = models.JSONField(_("payload"), default=dict)
    evidence_start = models.PositiveIntegerField(_("evidence start"), default=0)
    evidence_end = models.PositiveIntegerField(_("evidence end"), default=0)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    match = models.CharField(_("match"), max_length=10, choices=Match.choices)
    match_type = models.CharField(_("matched record type"), max_length=60, blank=True)
    match_id = models.PositiveBigIntegerField(_("matched record"), null=True, blank=True)
    match_label = models.CharField(_("matched record name"), max_length=300, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    result_type = models.CharField(_("result type"), max_length=60, blank=True)
    result_id = models.PositiveBigIntegerField(_("result"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["document", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="ingest_proposal_status_valid"
            ),
            models.UniqueConstraint(
                fields=["document", "position"], name="ingest_proposal_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.position}: {self.summary}"

    @property
    def summary(self) -> str:
        p = self.payload

        def v(key: str) -> str:
            item = p.get(key)
            return str(item.get("value", "")) if isinstance(item, dict) else str(item or "")

        if self.kind == Kind.EVENT:
            return f"{v('date')} {v('name')}"
        if self.kind in (Kind.SIGNING, Kind.MILESTONE, Kind.ISSUE):
            return f"{v('region')} {v('project')}".strip()
        if self.kind == Kind.SERVICE_STATS:
            return v("date")
        return str(p.get("indicator", ""))

    @property
    def name(self) -> str:
        """A readable name: the kind and what it is about (“活动：…对接会”, “签约：…项目”)."""
        p = self.payload

        def v(key: str) -> str:
            item = p.get(key)
            return str(item.get("value") or "") if isinstance(item, dict) else str(item or "")

        if self.kind == Kind.EVENT:
            subject = v("name")
        elif self.kind in (Kind.SIGNING, Kind.MILESTONE, Kind.ISSUE):
            subject = v("project") or v("enterprise") or v("region")
        elif self.kind == Kind.SERVICE_STATS:
            subject = " ".join(x for x in (v("region"), v("date")) if x)
        else:
            subject = v("indicator")
        return str(
            _("%(kind)s: %(subject)s")
            % {"kind": self.get_kind_display(), "subject": subject or "—"}
        )
