from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template, or '' when missing."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def clock(clock: Any) -> str:
    """The clock bar with its 50% and 80% ticks and the time left (Python, not an include:
    a queue draws one per row)."""
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext as _

    from guanjia.core.templatetags.csp_tags import pct_class

    if clock.state == "done":
        return mark_safe('<span class="muted">—</span>')  # noqa: S308  (a constant)
    hours = clock.hours_left
    if clock.state == "paused":
        text, title = _("Paused"), _("Paused: waiting for the enterprise")
    elif clock.minutes_left is not None and clock.minutes_left < 0:
        text = _("%(h)s h late") % {"h": hours}
        title = _("%(h)s working hours late") % {"h": hours}
    else:
        text = _("%(h)s h left") % {"h": hours}
        title = _("%(h)s working hours left") % {"h": hours}
    if clock.label == "intake":
        text += " · " + _("to accept")
    elif clock.label == "sign":
        text += " · " + _("to sign for")
    elif clock.label == "resolve":
        text += " · " + _("to resolve")
    percent = f"{clock.percent or 0:.0f}"
    return format_html(
        '<div class="clock clock-{}" title="{}"><div class="clock-bar" role="meter" '
        'aria-valuemin="0" aria-valuemax="100" aria-valuenow="{}"><div class="{}"></div>'
        '<i class="mark-50"></i><i class="mark-80"></i></div>'
        '<span class="clock-text">{}</span></div>',
        clock.state,
        title,
        percent,
        pct_class(percent),
        text,
    )


@register.simple_tag
def picker_options(groups: Any) -> str:
    """The "send to" picker's <optgroup>s and <option>s (`forms.picker_groups`), the HTML the
    template loop drew, built in Python: the queue's bulk dispatch lists every colleague,
    and the template engine spent more on those options than the rest of the page."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe

    parts = []
    for group, options in groups:
        parts.append(f'<optgroup label="{conditional_escape(group)}">')
        parts.extend(
            f'<option value="{conditional_escape(value)}"{" selected" if selected else ""}>'
            f"{conditional_escape(label)}</option>"
            for value, label, selected in options
        )
        parts.append("</optgroup>")
    return mark_safe("".join(parts))  # noqa: S308  (every value escaped above)


@register.simple_tag
def queue_row(
    sr: Any, clock_: Any, show_enterprise: bool, staff: bool = True, selectable: bool = False
) -> str:
    """One queue row. Built in Python: a queue page draws 25 of these and the template
    engine's per-node cost made it the page's slowest part (see bench/requests.py)."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import gettext as _

    link = reverse("requests:detail", args=[sr.pk])
    tags = []
    if staff:  # the bureau's handling is not the enterprise's to read
        if sr.escalation_level:
            tags.append(("late", _("Escalated")))
        if sr.supervised:
            tags.append(("warn", _("Supervised")))
        if sr.press_count:  # 催办: the enterprise is waiting
            tags.append(("late pressed", _("Pressed ×%(n)s") % {"n": sr.press_count}))
    if sr.reopen_count:
        tags.append(("", _("Reopened")))
    if sr.assignee_id is None and sr.department_id and sr.status == "dispatched":
        tags.append(("warn", _("To claim")))
    what = sr.category.name
    if sr.priority != "general":
        what += " · " + str(sr.get_priority_display())
    enterprise = (
        format_html(
            '<td data-label="{}" class="c-enterprise">{}</td>', _("Enterprise"), sr.enterprise.name
        )
        if show_enterprise
        else ""
    )
    department = (
        format_html('<br><span class="muted">{}</span>', sr.department) if sr.department else ""
    )
    due = timezone.localtime(sr.due_at).strftime("%Y-%m-%d %H:%M") if sr.due_at else "—"
    # The bulk form's boxes (`form="bulk"`: they belong to it, not to the filters).
    pick = (
        format_html(
            '<td class="pick"><input type="checkbox" name="ids" value="{}" form="bulk" '
            'aria-label="{}"></td>',
            sr.pk,
            _("Select %(number)s") % {"number": sr.number},
        )
        if selectable
        else ""
    )
    return format_html(
        '<tr class="row-{state}">{pick}'
        '<td data-label="{l_number}" class="c-number"><a href="{link}">{number}</a></td>'
        '<td data-label="{l_request}" class="c-request"><a href="{link}">{title}</a><br>'
        '<span class="muted">{what}</span> {tags}</td>{enterprise}'
        '<td data-label="{l_status}" class="c-status">'
        '<span class="tag status-{status}">{status_name}</span></td>'
        '<td data-label="{l_with}" class="c-with">{assignee}{department}</td>'
        '<td data-label="{l_due}" class="date c-due">{due}</td>'
        '<td data-label="{l_left}" class="c-left">{clock}</td></tr>',
        state=clock_.state,
        pick=pick,
        link=link,
        number=sr.number,
        title=sr.title,
        what=what,
        tags=format_html_join(" ", '<span class="tag {}">{}</span>', tags),
        enterprise=enterprise,
        status=sr.status,
        status_name=sr.get_status_display(),
        assignee=sr.assignee or "—",
        department=department,
        due=due,
        clock=clock(clock_),
        l_number=_("Number"),
        l_request=_("Request"),
        l_status=_("Status"),
        l_with=_("With"),
        l_due=_("Due"),
        l_left=_("Time left"),
    )


def _shown(value: Any) -> str:
    """`{{ value }}` in a template, for what is not a moment: localized, escaped."""
    from django.utils.formats import localize
    from django.utils.html import conditional_escape

    return str(conditional_escape(localize(value)))


@register.simple_tag
def timeline_items(events: Any, sr: Any, is_enterprise: bool) -> str:
    """The request page's timeline entries (`<li>`s), the HTML the template loop drew, built
    in Python: the loop's dozen conditions per entry were the page's largest part. Each event
    carries `shown_note` and `files` (`views.detail`); what each reader sees of it is there."""
    from django.template.defaultfilters import filesizeformat
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext as _

    def t(text: str) -> str:
        return str(conditional_escape(_(text)))

    def when(moment: Any) -> str:
        return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

    ratings = {"satisfied": "Satisfied", "basically": "Basically satisfied"}
    channels = {"phone": "Phone", "visit": "Visit"}
    parts = []
    for e in events:
        data = e.data if isinstance(e.data, dict) else {}
        kind = e.kind
        note = e.shown_note
        head = (
            f'\n      <li class="done event-{_shown(kind)}{" internal" if e.internal else ""}">'
            f"\n        <strong>{_shown(e.get_kind_display())}</strong>"
        )
        if not is_enterprise and note and e.note_is_internal:
            head += f' <span class="tag warn">{t("Internal")}</span>'
        head += f' <span class="muted">{when(e.at)}'
        if e.actor:
            head += f" · {_shown(e.actor)}"
        head += "</span>\n        "
        if data.get("to") and kind != "remind" and kind != "escalate":
            head += f" → {_shown(data['to'])}"
            if data.get("department"):
                head += f" ({_shown(data['department'])})"
        head += "\n        "
        if kind == "merge" and data.get("into_id"):
            url = reverse("requests:detail", args=[data["into_id"]])
            head += f' → <a href="{_shown(url)}">{_shown(data.get("into", ""))}</a>'
        elif kind == "merged_in" and data.get("from_id"):
            url = reverse("requests:detail", args=[data["from_id"]])
            head += f' ← <a href="{_shown(url)}">{_shown(data.get("from", ""))}</a>'
        head += "\n        "
        if kind == "revisit" and data.get("channel"):
            channel = t(channels.get(data["channel"], "Message"))
            outcome = t("Unsatisfied" if data.get("outcome") == "unsatisfied" else "Satisfied")
            head += (
                f' · {channel} · <span class="rating-{_shown(data.get("outcome", ""))}">'
                f"{outcome}</span>"
            )
        head += "\n        "
        if kind == "press" and data.get("late"):
            head += f' · <span class="tag late">{t("Late")}</span>'
        head += "\n        "
        if data.get("rating"):
            head += f" · {t(ratings.get(data['rating'], 'Unsatisfied'))}"
        head += "\n        "
        if note:
            head += f'<div class="pre">{_shown(note)}</div>'
        head += "\n        "
        for f in e.files:
            url = reverse("requests:attachment", args=[sr.pk, f.pk])
            head += (
                f'<div><a href="{_shown(url)}">📎 {_shown(f.name)}</a> '
                f'<span class="muted">{_shown(filesizeformat(f.size))}</span></div>'
            )
        parts.append(head + "\n      </li>\n      ")
    return mark_safe("".join(parts))  # noqa: S308  (every value escaped above)
