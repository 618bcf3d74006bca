"""The request page's parts drawn in Python are the HTML their template loops drew."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.template import engines
from django.utils import translation

from guanjia.accounts.models import User
from guanjia.requests.models import Attachment, EventKind, RequestEvent
from guanjia.requests.templatetags.request_tags import timeline_items

# The loop `requests/detail.html` drew the timeline with, as it was.
TIMELINE_LOOP = """{% load i18n %}{% for e in events %}
      <li class="done event-{{ e.kind }}{% if e.internal %} internal{% endif %}">
        <strong>{{ e.get_kind_display }}</strong>{% if not is_enterprise and e.shown_note and e.note_is_internal %} <span class="tag warn">{% translate "Internal" %}</span>{% endif %} <span class="muted">{{ e.at|date:"Y-m-d H:i" }}{% if e.actor %} · {{ e.actor }}{% endif %}</span>
        {% if e.data.to and e.kind != "remind" and e.kind != "escalate" %} → {{ e.data.to }}{% if e.data.department %} ({{ e.data.department }}){% endif %}{% endif %}
        {% if e.kind == "merge" and e.data.into_id %} → <a href="{% url 'requests:detail' e.data.into_id %}">{{ e.data.into }}</a>{% elif e.kind == "merged_in" and e.data.from_id %} ← <a href="{% url 'requests:detail' e.data.from_id %}">{{ e.data.from }}</a>{% endif %}
        {% if e.kind == "revisit" and e.data.channel %} · {% if e.data.channel == "phone" %}{% translate "Phone" %}{% elif e.data.channel == "visit" %}{% translate "Visit" %}{% else %}{% translate "Message" %}{% endif %} · <span class="rating-{{ e.data.outcome }}">{% if e.data.outcome == "unsatisfied" %}{% translate "Unsatisfied" %}{% else %}{% translate "Satisfied" %}{% endif %}</span>{% endif %}
        {% if e.kind == "press" and e.data.late %} · <span class="tag late">{% translate "Late" %}</span>{% endif %}
        {% if e.data.rating %} · {% if e.data.rating == "satisfied" %}{% translate "Satisfied" %}{% elif e.data.rating == "basically" %}{% translate "Basically satisfied" %}{% else %}{% translate "Unsatisfied" %}{% endif %}{% endif %}
        {% if e.shown_note %}<div class="pre">{{ e.shown_note }}</div>{% endif %}
        {% for f in e.files %}<div><a href="{% url 'requests:attachment' sr.pk f.pk %}">📎 {{ f.name }}</a> <span class="muted">{{ f.size|filesizeformat }}</span></div>{% endfor %}
      </li>
      {% endfor %}"""

MARKUP = """<b>&"'</b> 张三"""
DATA = [
    {},
    [],
    {"to": MARKUP, "department": "局 & <办>"},
    {"to": "李四", "department": ""},
    {"to": 7},
    {"into_id": 12, "into": MARKUP},
    {"from_id": 13, "from": MARKUP},
    {"into": "no id"},
    {"channel": "phone", "outcome": "unsatisfied"},
    {"channel": "visit", "outcome": "satisfied"},
    {"channel": "message", "outcome": MARKUP},
    {"channel": "mail"},
    {"late": True},
    {"late": False},
    {"rating": "satisfied"},
    {"rating": "basically"},
    {"rating": "unsatisfied"},
    {"rating": MARKUP},
]


def events() -> list[RequestEvent]:
    actor = User(pk=3, username="u1", display_name=MARKUP)
    at = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # the next day in Beijing
    found = []
    for i, kind in enumerate(EventKind.values):
        for j, data in enumerate(DATA):
            event = RequestEvent(
                pk=i * 100 + j, kind=kind, at=at, data=data, internal=bool(j % 2),
                actor=actor if j % 3 else None, note=MARKUP,
            )  # fmt: skip
            event.shown_note = MARKUP if j % 4 else ""  # type: ignore[attr-defined]
            event.files = (  # type: ignore[attr-defined]
                [Attachment(pk=40 + j, name=MARKUP, size=1234567), Attachment(pk=41, size=5)]
                if j % 5 == 0
                else []
            )
            found.append(event)
    return found


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("is_enterprise", [False, True])
def test_the_timeline_items_are_the_html_the_template_loop_drew(language, is_enterprise):
    loop = engines["django"].from_string(TIMELINE_LOOP)
    sr = SimpleNamespace(pk=9)
    shown = events()
    with translation.override(language):
        old = loop.render({"events": shown, "sr": sr, "is_enterprise": is_enterprise})
        new = timeline_items(shown, sr, is_enterprise)
    assert new == old
    assert "&lt;b&gt;&amp;&quot;&#x27;&lt;/b&gt;" in new and "<b>" not in new
    assert timeline_items([], sr, is_enterprise) == ""
