from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from guanjia.approvals.access import can_act
from guanjia.approvals.models import ApprovalItem, ApprovalKind, EventKind, Status
from guanjia.core.htmlbits import csrf_input, join, lit, ymd, ymd_hm
from guanjia.projects.models import Project

register = template.Library()


def panel_context(context: Any, project: Project) -> dict[str, Any]:
    """The project's approval items, with the steps the user may take on each."""
    request = context.get("request")
    user = getattr(request, "user", None)
    items = list(
        ApprovalItem.objects.filter(project=project)
        .select_related("kind")
        .prefetch_related("provided", "kind__materials", "events__actor")
    )
    rows = []
    for item in items:
        missing = item.missing()
        rows.append(
            {
                "item": item,
                "missing": missing,
                "materials": list(item.kind.materials.all()),
                "provided": {m.pk for m in item.provided.all()},
                "can_act": user is not None and can_act(user, project, item.kind),
            }
        )
    taken = {i.kind_id for i in items}
    kinds = [
        k
        for k in ApprovalKind.objects.all()
        if k.pk not in taken and user is not None and can_act(user, project, k)
    ]
    events = sorted(
        (e for i in items for e in i.events.all()), key=lambda e: (e.at, e.pk), reverse=True
    )
    return {
        "project": project,
        "rows": rows,
        "kinds": kinds,
        "events": events,
        "S": Status,
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def approvals_panel(context: Any, project: Project) -> SafeString:
    """The approvals panel of the project page (drawn in Python: `panel_html`)."""
    return panel_html(panel_context(context, project))


_PANEL = """
<section class="card" id="approvals">
  <h2>{l_title}</h2>
  {table}
  {add}
  {events}
</section>
"""

_TABLE = """
  <div class="table-wrap">
  <table class="grid responsive approvals">
    <thead><tr><th>{l_approval}</th><th>{l_status}</th><th>{l_missing}</th><th>{l_promised}</th><th>{l_deadline}</th><th>{l_actions}</th></tr></thead>
    <tbody>
    {rows}
    </tbody>
  </table>
  </div>
  """

_ROW = """
    <tr class="approval-{status}">
      <td data-label="{l_approval}">{kind}</td>
      <td data-label="{l_status}"><span class="tag">{status_name}</span></td>
      <td data-label="{l_missing}">{missing}</td>
      <td data-label="{l_promised}" class="date">{promised}{commitment}</td>
      <td data-label="{l_deadline}" class="date">{deadline}</td>
      <td data-label="{l_actions}">
      {actions}
      </td>
    </tr>
    """

_ACTIONS = """
        {steps}
        {approve}
      """

_SUBMIT = """
        <form method="post" action="{submit_url}">{csrf}
          {materials}
          <button type="submit" class="btn">{l_record}</button>
        </form>
        {then}
        """

_ACCEPT = """
        <form method="post" action="{}">{}<button type="submit" class="btn primary">{}</button></form>
        """

_TOLERATE = """
        <form method="post" enctype="multipart/form-data" action="{url}">{csrf}
          <label>{l_commitment} <input type="file" name="commitment" accept=".pdf,.jpg,.jpeg,.png,.docx"></label>
          <label>{l_promised} <input type="date" name="promised_on"></label>
          <button type="submit" class="btn">{l_tolerate}</button>
        </form>
        """

_SUPPLY = """
        <form method="post" action="{url}">{csrf}
          {materials}
          <button type="submit" class="btn">{l_supplied}</button>
        </form>
        """

_APPROVE = """
        <form method="post" action="{}">{}<button type="submit" class="btn primary">{}</button></form>
        """

_ADD = """
  <form method="post" action="{url}">{csrf}
    <label>{l_approval} <select name="kind">{options}</select></label>
    <button type="submit" class="btn">{l_add}</button>
  </form>
  """

_EVENTS = """
  <h3>{l_title}</h3>
  <ol class="timeline approval-events">
    {items}
  </ol>
  """

_EVENT = """
    <li><span class="stage-date">{at}</span> <strong>{kind}</strong> · {what}{note} <span class="muted">{actor}</span></li>
    """


def _step_url(item: ApprovalItem, step: str) -> str:
    return reverse("approvals:step", args=[item.pk, step])


def _actions(row: dict[str, Any], csrf: str) -> str:
    """The steps the user may take on one item: the forms of the template's last cell."""
    item = row["item"]
    steps: Any = ""
    if item.status == Status.PENDING:
        materials = join(
            format_html(
                '<label><input type="checkbox" name="materials" value="{}"{}> {}{}</label> ',
                m.pk,
                mark_safe(" checked") if m.pk in row["provided"] else "",
                m.name,
                " *" if m.core else "",
            )
            for m in row["materials"]
        )
        if not row["missing"]:
            then = format_html(_ACCEPT, _step_url(item, "accept"), csrf, lit(_("Accept")))
        else:
            then = format_html(
                _TOLERATE,
                url=_step_url(item, "tolerate"),
                csrf=csrf,
                l_commitment=lit(_("Written commitment")),
                l_promised=lit(_("Promised date")),
                l_tolerate=lit(_("Accept with tolerated gaps")),
            )
        steps = format_html(
            _SUBMIT,
            submit_url=_step_url(item, "submit"),
            csrf=csrf,
            materials=materials,
            l_record=lit(_("Record materials")),
            then=then,
        )
    elif item.status in (Status.TOLERATED, Status.SUSPENDED):
        steps = format_html(
            _SUPPLY,
            url=_step_url(item, "supply"),
            csrf=csrf,
            materials=join(
                format_html(
                    '<label><input type="checkbox" name="materials" value="{}"> {}</label> ',
                    m.pk,
                    m.name,
                )
                for m in row["missing"]
            ),
            l_supplied=lit(_("Supplied")),
        )
    approve = ""
    if item.status in (Status.ACCEPTED, Status.TOLERATED):
        approve = format_html(_APPROVE, _step_url(item, "approve"), csrf, lit(_("Approve")))
    return format_html(_ACTIONS, steps=steps, approve=approve)


def panel_html(c: dict[str, Any]) -> SafeString:
    """approvals/_panel.html in Python (tests/test_project_page.py compares the two)."""
    csrf = csrf_input(c["csrf_token"])
    table: Any
    if c["rows"]:
        words = {
            "l_approval": lit(_("Approval")),
            "l_status": lit(_("Status")),
            "l_missing": lit(_("Missing")),
            "l_promised": lit(_("Promised by")),
            "l_deadline": lit(_("Deadline")),
            "l_actions": lit(_("Actions")),
        }
        statuses = {value: str(label) for value, label in Status.choices}
        core = lit(_("core"))
        html = []
        for row in c["rows"]:
            item = row["item"]
            missing = (
                mark_safe(  # noqa: S308 - each name built by format_html
                    ", ".join(
                        format_html("{}{}", m.name, format_html(" ({})", core) if m.core else "")
                        for m in row["missing"]
                    )
                )
                if row["missing"]
                else "—"
            )
            html.append(
                format_html(
                    _ROW,
                    **words,
                    status=item.status,
                    kind=item.kind.name,
                    status_name=statuses.get(item.status, item.status),
                    missing=missing,
                    promised=ymd(item.promised_on) or "—",
                    commitment=format_html(
                        ' · <a href="{}">{}</a>',
                        reverse("approvals:commitment", args=[item.pk]),
                        lit(_("commitment")),
                    )
                    if item.commitment
                    else "",
                    deadline=ymd(item.deadline_on) or "—",
                    actions=_actions(row, csrf) if row["can_act"] else "",
                )
            )
        table = format_html(_TABLE, **words, rows=join(html))
    else:
        table = format_html('\n  <p class="muted">{}</p>\n  ', lit(_("No approval item yet.")))
    add = ""
    if c["kinds"]:
        add = format_html(
            _ADD,
            url=reverse("approvals:add", args=[c["project"].pk]),
            csrf=csrf,
            l_approval=lit(_("Approval")),
            options=join(
                format_html('<option value="{}">{}</option>', k.pk, k.name) for k in c["kinds"]
            ),
            l_add=lit(_("Add approval item")),
        )
    events = ""
    if c["events"]:
        kinds = {value: str(label) for value, label in EventKind.choices}
        system = lit(_("system"))
        events = format_html(
            _EVENTS,
            l_title=lit(_("Approval timeline")),
            items=join(
                format_html(
                    _EVENT,
                    at=ymd_hm(e.at),
                    kind=e.item.kind.name,
                    what=kinds.get(e.kind, e.kind),
                    note=format_html(" — {}", e.note) if e.note else "",
                    actor=e.actor if e.actor else system,
                )
                for e in c["events"]
            ),
        )
    return format_html(_PANEL, l_title=lit(_("Approvals")), table=table, add=add, events=events)
