"""The project page's read-only sections drawn in Python, the HTML project_detail.html drew.

Django's template engine spends most of the page's CPU on these sections (a node per tag,
a lookup per dotted variable, an include per panel). Here each section is one format string,
its words translated once; tests/test_project_page.py compares every section with the old
template's bytes in both languages, with values full of `<>&"'`.

As in the template, a `{% translate %}` of a literal is not escaped (`lit`), every value is.
"""

from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import floatformat, linebreaksbr
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from guanjia.core.htmlbits import join, lit, or_dash, shown, url_maker, ymd, ymd_hm
from guanjia.core.models import AuditAction
from guanjia.core.templatetags.amount_tags import money
from guanjia.core.templatetags.csp_tags import pct_class
from guanjia.projects.stages import Stage

_HEAD = """<div class="page-head">
  {ledger}
  <h1>{name}
    <span class="tag stage-{stage}">{stage_name}</span>
    {stalled}
  </h1>
  {edit}
</div>
"""


def head(project: Any, stalled_kinds: list[Any], reads_ledger: bool, writable: bool) -> str:
    ledger = (
        format_html(
            '<p class="muted"><a href="{}">{}</a> ›</p>',
            reverse("projects:project_list"),
            lit(_("Project ledger")),
        )
        if reads_ledger
        else ""
    )
    stalled = join(
        format_html('<span class="tag stalled">{}: {}</span>', lit(_("Stalled")), kind.label)
        for kind in stalled_kinds
    )
    edit = (
        format_html(
            '<p class="actions"><a class="btn" href="{}">{}</a></p>',
            reverse("projects:project_edit", args=[project.pk]),
            lit(_("Edit")),
        )
        if writable
        else ""
    )
    return format_html(
        _HEAD,
        ledger=ledger,
        name=project.name,
        stage=project.stage,
        stage_name=project.get_stage_display(),
        stalled=stalled,
        edit=edit,
    )


def holding(reasons: list[str]) -> str:
    if not reasons:
        return ""
    return format_html(
        '\n<div class="card holding" id="holding">\n  <h2>{}</h2>\n  <ul>{}</ul>\n</div>\n',
        lit(_("Holding it")),
        join(format_html("<li>{}</li>", reason) for reason in reasons),
    )


_FACTS = """  <section class="card">
    <h2>{l_facts}</h2>
    <dl class="facts">
      <dt>{l_investor}</dt>
      <dd><a href="{enterprise_url}">{enterprise}</a>{credit_code}</dd>
      {partners}
      <dt>{l_region}</dt><dd>{region}</dd>
      <dt>{l_industry}</dt><dd>{industry}</dd>
      <dt>{l_level}</dt><dd>{level}</dd>
      <dt>{l_total}</dt><dd class="total-investment">{total}</dd>
      <dt>{l_planned}{plan_year}</dt>
      <dd>{planned}</dd>
      <dt>{l_completed}</dt>
      <dd>{completed}{completion}</dd>
      <dt>{l_funds}</dt>
      <dd>{funds}{funds_ratio}</dd>
      <dt>{l_steward}</dt><dd class="steward">{steward}</dd>
      <dt>{l_leader}</dt><dd>{leader}</dd>
      <dt>{l_task_force}</dt><dd>{task_force}</dd>
      {construction}
    </dl>
  </section>"""

_PARTNERS = """
      <dt>{}</dt>
      <dd>{}</dd>
      """

_COMPLETION = """ <span class="muted">({ratio}%)</span>
        <div class="progress" role="img" aria-label="{ratio}%"><div class="{bar}"></div></div>"""


def facts(
    project: Any,
    partners: list[Any],
    steward: Any,
    completion_ratio: Any,
    completion_bar: int,
    funds_ratio: Any,
) -> str:
    enterprise = project.enterprise
    partners_html = ""
    if partners:
        enterprise_url = url_maker("enterprises:enterprise_detail")
        separator = mark_safe(pgettext("list separator", ", "))  # noqa: S308 - a msgid of ours
        partners_html = format_html(
            _PARTNERS,
            lit(_("Other enterprises")),
            mark_safe(  # noqa: S308 - each link built by format_html
                separator.join(
                    format_html('<a href="{}">{}</a>', enterprise_url(p.pk), p.name)
                    for p in partners
                )
            ),
        )
    completion = ""
    if completion_ratio is not None:
        completion = format_html(
            _COMPLETION, ratio=floatformat(completion_ratio, 0), bar=pct_class(completion_bar)
        )
    construction = ""
    if project.construction_content:
        construction = format_html(
            "<dt>{}</dt><dd>{}</dd>",
            lit(_("Construction content")),
            linebreaksbr(project.construction_content, autoescape=True),
        )
    return format_html(
        _FACTS,
        l_facts=lit(_("Facts")),
        l_investor=lit(_("Investor")),
        enterprise_url=reverse("enterprises:enterprise_detail", args=[enterprise.pk]),
        enterprise=enterprise.name,
        credit_code=format_html(' <span class="muted">{}</span>', enterprise.credit_code)
        if enterprise.credit_code
        else "",
        partners=partners_html,
        l_region=lit(_("Region")),
        region=project.region.name,
        l_industry=lit(_("Industry")),
        industry=or_dash(project.industry.name if project.industry else None),
        l_level=lit(_("Level")),
        level=project.get_level_display(),
        l_total=lit(_("Total investment")),
        total=money(project.total_investment_wan),
        l_planned=lit(_("Planned investment this year")),
        plan_year=format_html(" ({})", project.plan_year) if project.plan_year else "",
        planned=money(project.planned_investment_year_wan),
        l_completed=lit(_("Completed investment this year")),
        completed=money(project.completed_investment_year_wan),
        completion=completion,
        l_funds=lit(_("Funds in place")),
        funds=money(project.funds_in_place_wan),
        funds_ratio=format_html(' <span class="muted">({}%)</span>', floatformat(funds_ratio, 0))
        if funds_ratio is not None
        else "",
        l_steward=lit(_("Steward")),
        steward=or_dash(steward),
        l_leader=lit(_("Leader in charge")),
        leader=or_dash(project.leader),
        l_task_force=lit(_("Task force")),
        task_force=or_dash(project.task_force),
        construction=construction,
    )


_SIGNINGS = """  <section class="card">
    <h2>{l_signings}</h2>
    {body}
  </section>"""

_SIGNINGS_TABLE = """
    <div class="table-wrap">
    <table class="grid responsive signings">
      <thead><tr><th>{l_event}</th><th>{l_government}</th><th>{l_date}</th><th class="num">{l_contracted}</th><th class="num">{l_counted}</th><th>{l_first}</th></tr></thead>
      <tbody>
      {rows}
      </tbody>
    </table>
    </div>
    """

_SIGNING_ROW = """
      <tr>
        <td data-label="{l_event}">{event}</td>
        <td data-label="{l_government}">{government}</td>
        <td data-label="{l_date}" class="date">{date}</td>
        <td data-label="{l_contracted}" class="num">{amount}</td>
        <td data-label="{l_counted}" class="num">{counted}</td>
        <td data-label="{l_first}">{first}</td>
      </tr>
      """


def signings(rows: list[Any]) -> str:
    if not rows:
        body = format_html('\n    <p class="muted">{}</p>\n    ', lit(_("No signing recorded.")))
        return format_html(_SIGNINGS, l_signings=lit(_("Signings")), body=body)
    words = {
        "l_event": lit(_("Event")),
        "l_government": lit(_("Signing government")),
        "l_date": lit(_("Date")),
        "l_contracted": lit(_("Contracted amount")),
        "l_counted": lit(_("Counted amount")),
        "l_first": lit(_("First signing")),
    }
    event_url = url_maker("events:event_detail")
    first = format_html('<span class="tag first">{}</span>', lit(_("first signing")))
    increase = format_html('<span class="muted">{}</span>', lit(_("increase only")))
    html = []
    for s in rows:
        event = (
            format_html('<a href="{}">{}</a>', event_url(s.event.pk), s.event.name)
            if s.event
            else "—"
        )
        html.append(
            format_html(
                _SIGNING_ROW,
                **words,
                event=event,
                government=s.government.name,
                date=ymd(s.signed_on),
                amount=money(s.amount_wan),
                counted=money(s.counted_amount_wan),
                first=first if s.is_first else increase,
            )
        )
    body = format_html(_SIGNINGS_TABLE, **words, rows=join(html))
    return format_html(_SIGNINGS, l_signings=lit(_("Signings")), body=body)


_STAGE_HISTORY = """  <section class="card">
    <h2>{l_title}</h2>
    <div class="table-wrap">
    <table class="grid responsive stage-changes">
      <thead><tr><th>{l_date}</th><th>{l_move}</th><th>{l_by}</th><th>{l_evidence}</th><th>{l_correction}</th></tr></thead>
      <tbody>
      {rows}
      </tbody>
    </table>
    </div>
  </section>"""

_STAGE_ROW = """
      <tr{correction_class}>
        <td data-label="{l_date}" class="date">{date}</td>
        <td data-label="{l_move}">{move}</td>
        <td data-label="{l_by}">{actor}</td>
        <td data-label="{l_evidence}">{evidence}</td>
        <td data-label="{l_correction}">{correction}</td>
      </tr>
      """


def stage_history(changes: Iterable[Any]) -> str:
    words = {
        "l_date": lit(_("Date")),
        "l_move": lit(_("Move")),
        "l_by": lit(_("By")),
        "l_evidence": lit(_("Evidence")),
        "l_correction": lit(_("Correction")),
    }
    system = lit(_("system"))
    stage_names = {value: str(label) for value, label in Stage.choices}
    correction_tag = format_html('<span class="tag stalled">{}</span> ', lit(_("correction")))
    html = []
    for c in changes:
        move = format_html(
            "{}{}",
            format_html("{} → ", stage_names.get(c.from_stage, c.from_stage))
            if c.from_stage
            else "",
            stage_names.get(c.to_stage, c.to_stage),
        )
        correction: Any
        if c.is_correction:
            correction = format_html("{}{}", correction_tag, c.reason)
        else:
            correction = c.reason or "—"
        html.append(
            format_html(
                _STAGE_ROW,
                **words,
                correction_class=mark_safe(' class="correction"') if c.is_correction else "",
                date=ymd(c.effective_on),
                move=move,
                actor=c.actor if c.actor else system,
                evidence=or_dash(c.evidence),
                correction=correction,
            )
        )
    return format_html(_STAGE_HISTORY, **words, l_title=lit(_("Stage history")), rows=join(html))


_LIFECYCLE = """  <section class="card">
    <h2>{l_title}</h2>
    <ol class="timeline">
      {items}
    </ol>
  </section>"""

_LIFECYCLE_ITEM = """
      <li class="{state}"{current}>
        <strong>{label}</strong>
        {on}
        {planned}
        {reason}
      </li>
      """


def lifecycle(items: list[dict[str, Any]]) -> str:
    l_planned = lit(_("planned"))
    l_reason = lit(_("Reason"))
    html = []
    for item in items:
        on = item["on"]
        planned_on = item["planned_on"]
        reason = item.get("reason")
        html.append(
            format_html(
                _LIFECYCLE_ITEM,
                state=item["state"],
                current=mark_safe(' aria-current="step"') if "current" in item["state"] else "",
                label=item["label"],
                on=format_html('<span class="stage-date">{}</span>', ymd(on)) if on else "",
                planned=format_html('<span class="muted">{} {}</span>', l_planned, ymd(planned_on))
                if planned_on and not on
                else "",
                reason=format_html('<div class="muted">{}: {}</div>', l_reason, reason)
                if reason
                else "",
            )
        )
    return format_html(_LIFECYCLE, l_title=lit(_("Lifecycle")), items=join(html))


_MILESTONES = """  <section class="card">
    <h2>{l_title}</h2>
    {body}
  </section>"""

_MILESTONE = """
      <li>{stage}: {l_planned} {planned}
        {reached}
        {note}</li>
      """


def milestones(rows: list[Any], project: Any) -> str:
    if not rows:
        body = format_html('\n    <p class="muted">{}</p>\n    ', lit(_("No milestones planned.")))
        return format_html(_MILESTONES, l_title=lit(_("Milestones")), body=body)
    l_planned = lit(_("planned"))
    l_reached = lit(_("reached"))
    stage_names = {value: str(label) for value, label in Stage.choices}
    late = format_html(' <span class="tag stalled">{}</span>', lit(_("late")))
    html = []
    for m in rows:
        actual = project.stage_date(m.stage)
        reached = ""
        if actual:
            reached = format_html(
                " · {} {}{}", l_reached, ymd(actual), late if actual > m.planned_on else ""
            )
        html.append(
            format_html(
                _MILESTONE,
                stage=stage_names.get(m.stage, m.stage),
                l_planned=l_planned,
                planned=ymd(m.planned_on),
                reached=reached,
                note=format_html('<span class="muted">{}</span>', m.note) if m.note else "",
            )
        )
    body = format_html('\n    <ul class="milestones">\n      {}\n    </ul>\n    ', join(html))
    return format_html(_MILESTONES, l_title=lit(_("Milestones")), body=body)


_HISTORY = """
<section class="card history">
  <h2>{l_title}</h2>
  {body}
</section>
"""

_HISTORY_TABLE = """
  <div class="table-wrap">
  <table class="grid responsive">
    <thead><tr><th>{l_when}</th><th>{l_who}</th><th>{l_what}</th><th>{l_changes}</th></tr></thead>
    <tbody>
    {rows}
    </tbody>
  </table>
  </div>
  """

_HISTORY_ROW = """
    <tr>
      <td data-label="{l_when}" class="date">{when}</td>
      <td data-label="{l_who}">{who}</td>
      <td data-label="{l_what}">{what}</td>
      <td data-label="{l_changes}">
        {changes}
      </td>
    </tr>
    """

_CHANGES = """
        <ul class="changes">
          {}
        </ul>
        """

_CHANGE = """
          <li>{label}: <del>{before}</del> → <ins>{after}</ins></li>
          """


def _capfirst(value: Any) -> Any:
    """`|capfirst`: the first character upper-cased (its result is not marked safe)."""
    value = str(value)
    return value and value[0].upper() + value[1:]


def history(rows: list[dict[str, Any]]) -> str:
    """core/_history.html: the audit entries `core.views.history_rows` put in words."""
    if not rows:
        body = format_html('\n  <p class="muted">{}</p>\n  ', lit(_("No changes recorded.")))
        return format_html(_HISTORY, l_title=lit(_("Change history")), body=body)
    words = {
        "l_when": lit(_("When")),
        "l_who": lit(_("Who")),
        "l_what": lit(_("What")),
        "l_changes": lit(_("Changes")),
    }
    system = lit(_("system"))
    actions = {value: str(label) for value, label in AuditAction.choices}
    html = []
    for row in rows:
        entry = row["entry"]
        changes = ""
        if row["changes"]:
            changes = format_html(
                _CHANGES,
                join(
                    format_html(
                        _CHANGE,
                        label=_capfirst(label),
                        before="—" if before is None else shown(before),
                        after="—" if after is None else shown(after),
                    )
                    for label, before, after in row["changes"]
                ),
            )
        html.append(
            format_html(
                _HISTORY_ROW,
                **words,
                when=ymd_hm(entry.at),
                who=entry.actor if entry.actor else system,
                what=format_html(
                    "{}{}",
                    actions.get(entry.action, entry.action),
                    format_html(' <span class="muted">({})</span>', entry.note)
                    if entry.note
                    else "",
                ),
                changes=changes,
            )
        )
    body = format_html(_HISTORY_TABLE, **words, rows=join(html))
    return format_html(_HISTORY, l_title=lit(_("Change history")), body=body)
