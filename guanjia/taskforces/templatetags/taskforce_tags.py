from typing import Any

from django import template
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanjia.core.htmlbits import csrf_input, join, lit, ymd
from guanjia.taskforces import access

register = template.Library()


@register.simple_tag(takes_context=True)
def taskforce_panel(context: Any, project: Any) -> SafeString:
    """The task force panel of the project page (drawn in Python: `panel_html`)."""
    return panel_html(panel_context(context, project))


def panel_context(context: Any, project: Any) -> dict[str, Any]:
    """The project's task force, meetings, action items and 一事一议 decisions."""
    user = context["request"].user
    shown = access.may_see(user)
    writer = access.may_record(user, project) if shown else False
    today = timezone.localdate()
    if not shown:  # the panel is not drawn: read nothing
        return {"hidden": True}
    items = list(project.action_items.select_related("owner").order_by("done_on", "due_on")[:30])
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "project": project,
        "hidden": not shown,
        "writer": writer,
        "today": today,
        "meetings": list(project.meetings.all()[:5]),
        "items": items,
        "late": [i for i in items if not i.done_on and i.due_on < today],
        "decisions": list(project.decisions.all()[:10]),
        "user": user,
    }


_PANEL = """
<section class="card" id="taskforce">
  <h2>{l_title}</h2>
  <p>{task_force}
     · {l_leader}: {leader}</p>
  {late}
  <h3>{l_items}</h3>
  <ul class="plain">
    {items}
  </ul>
  <h3>{l_meetings}</h3>
  <ul class="plain">{meetings}</ul>
  <h3>{l_decisions}</h3>
  <ul class="plain">{decisions}</ul>
  {forms}
</section>

"""

_ITEM = """
    <li>{mark}
      {text} <span class="muted">· {owner} · {l_due} {due}{supervised}</span>
      {done}
    </li>
    """

_DONE = """
      <form method="post" action="{}" class="inline">{}<button class="linklike">{}</button></form>"""

_FORMS = """
  <div id="taskforce-forms" hx-get="{url}" hx-trigger="intersect once" hx-swap="outerHTML">
    <p><a href="{url}">{l_record}</a></p>
  </div>
  """


def panel_html(c: dict[str, Any]) -> SafeString:
    """taskforces/_panel.html in Python (tests/test_project_page.py compares the two)."""
    if c["hidden"]:
        return mark_safe("\n")  # noqa: S308 - what the template drew for a hidden panel
    project, today, user, writer = c["project"], c["today"], c["user"], c["writer"]
    late_tag = format_html('<span class="tag late">{}</span>', lit(_("late")))
    l_due = lit(_("due"))
    supervised = format_html(" · {}", lit(_("Supervised")))
    l_done = lit(_("Mark done"))
    csrf = csrf_input(c["csrf_token"])
    items = []
    for item in c["items"]:
        done = ""
        if not item.done_on and (writer or item.owner_id == user.pk):
            done = format_html(
                _DONE, reverse("taskforces:complete", args=[project.pk, item.pk]), csrf, l_done
            )
        items.append(
            format_html(
                _ITEM,
                mark="✓" if item.done_on else late_tag if item.due_on < today else "",
                text=item.text,
                owner=item.owner,
                l_due=l_due,
                due=ymd(item.due_on),
                supervised=supervised if item.supervised_at else "",
                done=done,
            )
        )
    if not items:
        items.append(format_html('<li class="muted">{}</li>', lit(_("No action items."))))
    late = ""
    if c["late"]:
        n = len(c["late"])
        late = format_html(
            '<p class="error">{}</p>',
            # `{% blocktranslate count %}`: the number escaped, the sentence not.
            lit(
                ngettext("%(n)s action item is late.", "%(n)s action items are late.", n) % {"n": n}
            ),
        )
    meetings = join(
        format_html(
            '<li><strong>{}</strong> {}<div class="muted pre">{}</div></li>',
            ymd(m.held_on),
            m.title,
            truncatechars(m.minutes, 200),
        )
        for m in c["meetings"]
    ) or format_html('<li class="muted">{}</li>', lit(_("No meetings recorded.")))
    decisions = join(
        format_html(
            '<li><strong>{}</strong> {} — {} <span class="muted">({})</span></li>',
            ymd(d.decided_on),
            d.subject,
            d.decision,
            d.decided_by,
        )
        for d in c["decisions"]
    ) or format_html('<li class="muted">{}</li>', lit(_("No decisions recorded.")))
    forms = ""
    if writer:
        forms = format_html(
            _FORMS,
            url=reverse("taskforces:forms", args=[project.pk]),
            l_record=lit(_("Record a meeting, an action item or a decision")),
        )
    return format_html(
        _PANEL,
        l_title=lit(_("Task force")),
        task_force=project.task_force
        or format_html('<span class="muted">{}</span>', lit(_("No task force named."))),
        l_leader=lit(_("Leader in charge")),
        leader=project.leader if project.leader else "—",
        late=late,
        l_items=lit(_("Action items")),
        items=join(items),
        l_meetings=lit(_("Push meetings")),
        meetings=meetings,
        l_decisions=lit(_("Case decisions (一事一议)")),
        decisions=decisions,
        forms=forms,
    )
