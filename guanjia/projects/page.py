"""The project page's read-only sections drawn in Python, the HTML project_detail.html drew.

Django's template engine spends most of the page's CPU on these sections (a node per tag,
a lookup per dotted variable, an include per panel). Here each section is one format string,
its words translated once; tests/test_project_page.py compares every section with the old
template's bytes in both languages, with values full of `<>&"'`.

As in the template, a `{% translate %}` of a literal is not escaped (`_t`), every value is.
"""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.template.defaultfilters import floatformat, linebreaksbr
from django.utils.timezone import template_localtime
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, pgettext

from guanjia.core.templatetags.amount_tags import money
from guanjia.core.templatetags.csp_tags import pct_class

_ANY = 999999999  # a URL's placeholder id, replaced by each row's


def _t(message: str) -> SafeString:
    """`{% translate "…" %}`: the translation of a literal, not escaped."""
    return mark_safe(gettext(message))  # noqa: S308 - a msgid of ours, as the template had it


def ymd(value: Any) -> str:
    """`{{ value|date:"Y-m-d" }}` for a date, a datetime (in the current time zone) or None."""
    if not value:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def ymd_hm(value: Any) -> str:
    """`{{ value|date:"Y-m-d H:i" }}`."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{ymd(value)} {value.hour:02d}:{value.minute:02d}"


def shown(value: Any) -> SafeString:
    """`{{ value }}`: in the current time zone, localized, escaped unless already safe."""
    return mark_safe(conditional_escape(localize(template_localtime(value))))  # noqa: S308


def or_dash(value: Any) -> Any:
    """`{{ value|default:"—" }}`."""
    return value if value else "—"


def url_maker(name: str) -> Any:
    """One `reverse` a page, then each object's id put in: `{% url name pk %}` per row."""
    base = reverse(name, args=[_ANY])
    placeholder = f"/{_ANY}/"
    return lambda pk: base.replace(placeholder, f"/{pk}/")


def join(parts: Iterable[str]) -> SafeString:
    return mark_safe("".join(parts))  # noqa: S308 - each part built by format_html


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
            _t("Project ledger"),
        )
        if reads_ledger
        else ""
    )
    stalled = join(
        format_html('<span class="tag stalled">{}: {}</span>', _t("Stalled"), kind.label)
        for kind in stalled_kinds
    )
    edit = (
        format_html(
            '<p class="actions"><a class="btn" href="{}">{}</a></p>',
            reverse("projects:project_edit", args=[project.pk]),
            _t("Edit"),
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
        _t("Holding it"),
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
            _t("Other enterprises"),
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
            _t("Construction content"),
            linebreaksbr(project.construction_content, autoescape=True),
        )
    return format_html(
        _FACTS,
        l_facts=_t("Facts"),
        l_investor=_t("Investor"),
        enterprise_url=reverse("enterprises:enterprise_detail", args=[enterprise.pk]),
        enterprise=enterprise.name,
        credit_code=format_html(' <span class="muted">{}</span>', enterprise.credit_code)
        if enterprise.credit_code
        else "",
        partners=partners_html,
        l_region=_t("Region"),
        region=project.region.name,
        l_industry=_t("Industry"),
        industry=or_dash(project.industry.name if project.industry else None),
        l_level=_t("Level"),
        level=project.get_level_display(),
        l_total=_t("Total investment"),
        total=money(project.total_investment_wan),
        l_planned=_t("Planned investment this year"),
        plan_year=format_html(" ({})", project.plan_year) if project.plan_year else "",
        planned=money(project.planned_investment_year_wan),
        l_completed=_t("Completed investment this year"),
        completed=money(project.completed_investment_year_wan),
        completion=completion,
        l_funds=_t("Funds in place"),
        funds=money(project.funds_in_place_wan),
        funds_ratio=format_html(' <span class="muted">({}%)</span>', floatformat(funds_ratio, 0))
        if funds_ratio is not None
        else "",
        l_steward=_t("Steward"),
        steward=or_dash(steward),
        l_leader=_t("Leader in charge"),
        leader=or_dash(project.leader),
        l_task_force=_t("Task force"),
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
        body = format_html('\n    <p class="muted">{}</p>\n    ', _t("No signing recorded."))
        return format_html(_SIGNINGS, l_signings=_t("Signings"), body=body)
    words = {
        "l_event": _t("Event"),
        "l_government": _t("Signing government"),
        "l_date": _t("Date"),
        "l_contracted": _t("Contracted amount"),
        "l_counted": _t("Counted amount"),
        "l_first": _t("First signing"),
    }
    event_url = url_maker("events:event_detail")
    first = format_html('<span class="tag first">{}</span>', _t("first signing"))
    increase = format_html('<span class="muted">{}</span>', _t("increase only"))
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
    return format_html(_SIGNINGS, l_signings=_t("Signings"), body=body)


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
        "l_date": _t("Date"),
        "l_move": _t("Move"),
        "l_by": _t("By"),
        "l_evidence": _t("Evidence"),
        "l_correction": _t("Correction"),
    }
    system = _t("system")
    correction_tag = format_html('<span class="tag stalled">{}</span> ', _t("correction"))
    html = []
    for c in changes:
        move = format_html(
            "{}{}",
            format_html("{} → ", c.get_from_stage_display()) if c.from_stage else "",
            c.get_to_stage_display(),
        )
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
    return format_html(_STAGE_HISTORY, **words, l_title=_t("Stage history"), rows=join(html))


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
    l_planned = _t("planned")
    l_reason = _t("Reason")
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
    return format_html(_LIFECYCLE, l_title=_t("Lifecycle"), items=join(html))


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
        body = format_html('\n    <p class="muted">{}</p>\n    ', _t("No milestones planned."))
        return format_html(_MILESTONES, l_title=_t("Milestones"), body=body)
    l_planned = _t("planned")
    l_reached = _t("reached")
    late = format_html(' <span class="tag stalled">{}</span>', _t("late"))
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
                stage=m.get_stage_display(),
                l_planned=l_planned,
                planned=ymd(m.planned_on),
                reached=reached,
                note=format_html('<span class="muted">{}</span>', m.note) if m.note else "",
            )
        )
    body = format_html(
        '\n    <ul class="milestones">\n      {}\n    </ul>\n    ', join(html)
    )
    return format_html(_MILESTONES, l_title=_t("Milestones"), body=body)


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
        body = format_html('\n  <p class="muted">{}</p>\n  ', _t("No changes recorded."))
        return format_html(_HISTORY, l_title=_t("Change history"), body=body)
    words = {
        "l_when": _t("When"),
        "l_who": _t("Who"),
        "l_what": _t("What"),
        "l_changes": _t("Changes"),
    }
    system = _t("system")
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
                    entry.get_action_display(),
                    format_html(' <span class="muted">({})</span>', entry.note) if entry.note else "",
                ),
                changes=changes,
            )
        )
    body = format_html(_HISTORY_TABLE, **words, rows=join(html))
    return format_html(_HISTORY, l_title=_t("Change history"), body=body)
