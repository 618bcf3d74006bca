from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from guanjia.accounts.models import Department
from guanjia.accounts.scope import region_q
from guanjia.core.htmlbits import csrf_input, join, lit, or_dash, ymd
from guanjia.projects.models import Project
from guanjia.projects.stages import Stage

from .. import access, services
from ..forms import OverrideForm
from ..models import STATUSES, Guarantee, Kind, Status

register = template.Library()


@register.simple_tag(takes_context=True)
def guarantees_panel(context: template.Context, project: Project) -> SafeString:
    """The guarantees panel of the project page (drawn in Python: `panel_html`)."""
    return panel_html(panel_context(context, project))


def panel_context(context: Any, project: Project) -> dict[str, Any]:
    """The project's guarantees, a quick update form for writers and what blocks the next
    stage (the page has already checked that the user may see the project)."""
    user = context.get("user")
    rows = list(Guarantee.objects.filter(project=project).select_related("department"))
    writable = access.may_update(user, project)
    labels = dict(Status.choices)
    items = [{"g": g, "statuses": [(s, labels[s]) for s in STATUSES[g.kind]]} for g in rows]
    present = {g.kind for g in rows}
    next_stage = services.next_stage(project)
    blocked = services.blocking_message(project, next_stage) if next_stage else ""
    admin = access.may_override(user)
    return {
        "project": project,
        "items": items,
        "writable": writable,
        "missing_kinds": [(k, label) for k, label in Kind.choices if k not in present],
        # Read once: each guarantee's form lists them, and the form to add one.
        "departments": list(Department.objects.filter(region_q(user, "region")))
        if user and writable and (rows or len(present) < len(Kind.choices))
        else [],
        "blocked": blocked,
        "next_stage": next_stage,
        "override_form": OverrideForm(initial={"stage": next_stage}) if admin else None,
        "overrides": list(project.guarantee_overrides.select_related("by")[:5]),
        "stages": Stage.choices,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


_PANEL = """<section class="card guarantees" id="guarantees">
  <h2>{l_title}</h2>
  {blocked}
  {items}
  {add}
  {overrides}
  {override}
  <p><a href="{unmet_url}">{l_unmet}</a></p>
</section>
"""

_ITEMS = """
  <ul class="guarantee-list">
    {}
  </ul>
  """

_ITEM = """
    <li class="guarantee guarantee-{kind}{met}">
      <strong>{kind_name}</strong>:
      <span class="tag{stalled} guarantee-status">{status_name}</span>
      {land}
      {energy}
      {env_level}
      {approval_number}
      {needed}
      {secured}
      <div class="muted">{department}{due}{met_on}{note}</div>
      {forms}
    </li>
    """

_FORMS = """
      <form method="post" action="{url}" class="inline guarantee-update">
        {csrf}
        <input type="hidden" name="kind" value="{kind}">
        <label>{l_status}
          <select name="status" aria-label="{l_status} {kind_name}">
            {statuses}
          </select></label>
        <button type="submit" class="btn">{l_update}</button>
      </form>
      <details class="guarantee-details">
        <summary>{l_details}</summary>
        <form method="post" action="{url}">
          {csrf}
          <input type="hidden" name="kind" value="{kind}">
          {land}
          {energy}
          {environment}
          {finance}
          <label>{l_department} <select name="department"><option value="">—</option>{departments}</select></label>
          <label>{l_due} <input type="date" name="due_on" value="{due_on}"></label>
          <label>{l_note} <input type="text" name="note" maxlength="300" value="{note}"></label>
          <button type="submit" class="btn">{l_save}</button>
        </form>
      </details>
      """

_NUMBER = '<label>{} <input type="number" step="0.01" min="0" name="{}" value="{}"></label>'

_ENVIRONMENT = """<label>{} <input type="text" name="env_level" maxlength="40" value="{}"></label>
          <label>{} <input type="text" name="approval_number" maxlength="80" value="{}"></label>"""

_FINANCE = """<label>{} <input type="number" step="0.01" min="0" name="finance_needed_wan" value="{}"></label>
          <label>{} <input type="number" step="0.01" min="0" name="finance_secured_wan" value="{}"></label>"""

_ADD = """
  <details class="guarantee-add">
    <summary>{l_add_title}</summary>
    <form method="post" action="{url}">
      {csrf}
      <label>{l_kind} <select name="kind">{kinds}</select></label>
      <label>{l_department} <select name="department"><option value="">—</option>{departments}</select></label>
      <label>{l_due} <input type="date" name="due_on"></label>
      <label>{l_note} <input type="text" name="note" maxlength="300"></label>
      <button type="submit" class="btn">{l_add}</button>
    </form>
  </details>
  """

_OVERRIDES = """
  <ul class="guarantee-overrides muted">
    {}
  </ul>
  """

_OVERRIDE = """
  <details class="guarantee-override">
    <summary>{l_title}</summary>
    <form method="post" action="{url}">
      {csrf}
      <input type="hidden" name="stage" value="{stage}">
      <label>{l_reason} <input type="text" name="reason" maxlength="300" required></label>
      <button type="submit" class="btn">{l_go}</button>
    </form>
  </details>
  """


def _plain(value: Any) -> str:
    """`{{ value|default_if_none:''|stringformat:'s' }}`."""
    return "" if value is None else f"{value}"


def _forms(g: Guarantee, item: dict[str, Any], c: dict[str, Any], words: dict[str, Any]) -> str:
    """A writer's two forms on one guarantee: its status, and its details."""
    url, csrf = words["url"], words["csrf"]
    kind_name = words["kinds"].get(g.kind, g.kind)
    selected = mark_safe(" selected")  # noqa: S308 - a constant
    statuses = join(
        format_html(
            '<option value="{}"{}>{}</option>', value, selected if value == g.status else "", label
        )
        for value, label in item["statuses"]
    )
    departments = join(
        format_html(
            '<option value="{}"{}>{}</option>',
            d.pk,
            selected if d.pk == g.department_id else "",
            d.name,
        )
        for d in c["departments"]
    )
    land = energy = environment = finance = ""
    if g.kind == "land":
        land = format_html(_NUMBER, lit(_("Land area (mu)")), "land_mu", _plain(g.land_mu))
    if g.kind == "energy":
        energy = format_html(
            _NUMBER, lit(_("Energy quota (tce)")), "energy_tce", _plain(g.energy_tce)
        )
    if g.kind == "environment":
        environment = format_html(
            _ENVIRONMENT,
            lit(_("Assessment level")),
            g.env_level,
            lit(_("Approval number")),
            g.approval_number,
        )
    if g.kind == "finance":
        finance = format_html(
            _FINANCE,
            lit(_("Finance needed (10k yuan)")),
            _plain(g.finance_needed_wan),
            lit(_("Finance secured (10k yuan)")),
            _plain(g.finance_secured_wan),
        )
    return format_html(
        _FORMS,
        url=url,
        csrf=csrf,
        kind=g.kind,
        l_status=lit(_("Status")),
        kind_name=kind_name,
        statuses=statuses,
        l_update=lit(_("Update")),
        l_details=lit(_("Details")),
        land=land,
        energy=energy,
        environment=environment,
        finance=finance,
        l_department=lit(_("Responsible department")),
        departments=departments,
        l_due=lit(_("Due date")),
        due_on=ymd(g.due_on),
        l_note=lit(_("Note")),
        note=g.note,
        l_save=lit(_("Save")),
    )


def _item(g: Guarantee, item: dict[str, Any], c: dict[str, Any], words: dict[str, Any]) -> str:
    met = g.is_met
    return format_html(
        _ITEM,
        kind=g.kind,
        met=" met" if met else "",
        kind_name=words["kinds"].get(g.kind, g.kind),
        stalled="" if met else " stalled",
        status_name=words["statuses"].get(g.status, g.status),
        land=format_html("· {} {}", floatformat(g.land_mu, "-2"), lit(_("mu")))
        if g.land_mu is not None
        else "",
        energy=format_html("· {} {}", floatformat(g.energy_tce, "-2"), lit(_("tce")))
        if g.energy_tce is not None
        else "",
        env_level=format_html("· {}", g.env_level) if g.env_level else "",
        approval_number=format_html("· {}", g.approval_number) if g.approval_number else "",
        needed=format_html("· {} {}", lit(_("needed")), floatformat(g.finance_needed_wan, "-2"))
        if g.finance_needed_wan is not None
        else "",
        secured=format_html("· {} {}", lit(_("secured")), floatformat(g.finance_secured_wan, "-2"))
        if g.finance_secured_wan is not None
        else "",
        department=or_dash(g.department),
        due=format_html(" · {} {}", lit(_("due")), ymd(g.due_on)) if g.due_on else "",
        met_on=format_html(" · {} {}", lit(_("met")), ymd(g.met_on)) if g.met_on else "",
        note=format_html(" · {}", g.note) if g.note else "",
        forms=_forms(g, item, c, words) if c["writable"] else "",
    )


def panel_html(c: dict[str, Any]) -> SafeString:
    """guarantees/_panel.html in Python (tests/test_project_page.py compares the two)."""
    project = c["project"]
    csrf = csrf_input(c["csrf_token"])
    words = {
        "url": reverse("guarantees:update", args=[project.pk]),
        "csrf": csrf,
        "kinds": {value: str(label) for value, label in Kind.choices},
        "statuses": {value: str(label) for value, label in Status.choices},
    }
    blocked = (
        format_html('<p class="has-error guarantee-block" role="alert">{}</p>', c["blocked"])
        if c["blocked"]
        else ""
    )
    if c["items"]:
        items = format_html(_ITEMS, join(_item(item["g"], item, c, words) for item in c["items"]))
    else:
        items = format_html('\n  <p class="muted">{}</p>\n  ', lit(_("No guarantees recorded.")))
    add = ""
    if c["writable"] and c["missing_kinds"]:
        add = format_html(
            _ADD,
            l_add_title=lit(_("Add a guarantee")),
            url=words["url"],
            csrf=csrf,
            l_kind=lit(_("Kind")),
            kinds=join(
                format_html('<option value="{}">{}</option>', value, label)
                for value, label in c["missing_kinds"]
            ),
            l_department=lit(_("Responsible department")),
            departments=join(
                format_html('<option value="{}">{}</option>', d.pk, d.name)
                for d in c["departments"]
            ),
            l_due=lit(_("Due date")),
            l_note=lit(_("Note")),
            l_add=lit(_("Add")),
        )
    overrides = ""
    if c["overrides"]:
        stages = {value: str(label) for value, label in Stage.choices}
        overrides = format_html(
            _OVERRIDES,
            join(
                format_html(
                    "<li>{}: {} — {} ({}, {})</li>",
                    lit(_("Override")),
                    stages.get(o.stage, o.stage),
                    o.reason,
                    o.by,
                    ymd(o.at),
                )
                for o in c["overrides"]
            ),
        )
    override = ""
    if c["override_form"] and c["blocked"]:
        override = format_html(
            _OVERRIDE,
            l_title=lit(_("Override (city admin)")),
            url=reverse("guarantees:override", args=[project.pk]),
            csrf=csrf,
            stage=c["next_stage"],
            l_reason=lit(_("Reason")),
            l_go=lit(_("Let the stage proceed")),
        )
    return format_html(
        _PANEL,
        l_title=lit(_("Element guarantees")),
        blocked=blocked,
        items=items,
        add=add,
        overrides=overrides,
        override=override,
        unmet_url=reverse("guarantees:unmet"),
        l_unmet=lit(_("Unmet guarantees")),
    )
