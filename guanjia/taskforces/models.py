"""Task forces (专班) at work: push meetings, their action items, and 一事一议 decisions.

A project's task force and its leader in charge (包保领导) are fields of the project; this app
keeps what they do: meetings with minutes, action items with an owner and a due date (late
ones are supervised, 督办, by the sweep), and decisions taken case by case (一事一议).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanjia.core.bounds import LONG_TEXT_MAX, NOTE_MAX, bounded_text, validate_name


class Meeting(models.Model):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="meetings",
    )
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("subject"), max_length=200, validators=[validate_name])
    attendees = models.CharField(_("attendees"), max_length=500, blank=True)
    minutes = bounded_text(_("minutes"), LONG_TEXT_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("push meeting")
        verbose_name_plural = _("push meetings")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class ActionItem(models.Model):
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="action_items",
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="items",
    )
    text = models.CharField(_("what is to be done"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="action_items",
    )
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    supervised_at = models.DateTimeField(_("supervised"), null=True, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["done_on", "due_on", "id"]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="actionitem_open_due",
                condition=Q(done_on__isnull=True, supervised_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


class Decision(models.Model):
    """一事一议: a decision on one project's particular problem, by whom and on what basis."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="decisions",
    )
    decided_on = models.DateField(_("decided on"))
    subject = models.CharField(_("matter"), max_length=200)
    decision = bounded_text(_("decision"), NOTE_MAX)
    decided_by = models.CharField(_("decided by"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("case decision (一事一议)")
        verbose_name_plural = _("case decisions (一事一议)")
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return self.subject
