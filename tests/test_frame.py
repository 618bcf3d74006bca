"""The page frame (base.html): the main menu drawn in Python equals the template loop it
replaced, byte for byte, in both languages, with a label and a URL full of `<>&"'`."""

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.translation import gettext_lazy

from guanjia.core import nav

# base.html's menu before guanjia.core.nav.render_menu (the loop and its blocks, verbatim).
OLD_MENU = Template(
    '    {% for item in nav_items %}<a href="{{ item.url }}" class="{% if item.key == \'cockpit\' %}'
    "{% block nav_cockpit %}{% endblock %}{% elif item.key == 'projects' %}{% block nav_projects %}"
    "{% endblock %}{% elif item.key == 'enterprises' %}{% block nav_enterprises %}{% endblock %}"
    "{% elif item.key == 'events' %}{% block nav_events %}{% endblock %}{% elif item.key == "
    "'requests' %}{% block nav_requests %}{% endblock %}{% elif item.key == 'services' %}"
    "{% block nav_services %}{% endblock %}{% elif item.key == 'policies_for_you' %}"
    "{% block nav_policies_for_you %}{% endblock %}{% elif item.key == 'policies' %}"
    "{% block nav_policies %}{% endblock %}{% elif item.key == 'targets' %}"
    "{% block nav_targets %}{% endblock %}{% elif item.key == 'import' %}{% block nav_import %}"
    "{% endblock %}{% elif item.key == 'reports' %}{% block nav_reports %}{% endblock %}"
    "{% elif item.key == 'ingest' %}{% block nav_ingest %}{% endblock %}{% endif %}\">"
    "{{ item.label }}</a>\n    {% endfor %}\n  </nav>"
)
NEW_MENU = Template("{% load nav_tags %}    {% main_menu %}\n  </nav>")

ITEMS = [
    nav.Link("cockpit", gettext_lazy("Cockpit"), "/cockpit/"),
    nav.Link("requests", gettext_lazy("Direct line"), "/requests/?a=1&b=<2>"),
    nav.Link("leads", gettext_lazy("Leads"), "/leads/"),
    nav.Link("policies_for_you", '<b>"Tom\'s" & co</b>', "/p/'\"&<>"),
    nav.Link("ingest", gettext_lazy("Read a text"), "/ingest/"),
]

PAGES = [
    "",  # base rendered alone: no entry active
    "{% extends base %}",
    "{% extends base %}{% block nav_requests %}active{% endblock %}",
    # a block base.html never had (leads) stays out; a block's own template code runs
    "{% extends base %}{% block nav_leads %}active{% endblock %}"
    "{% block nav_ingest %}{% if flag %}act&ive{% endif %}{% endblock %}",
    "{% extends middle %}",  # filled in a template between the page and base
]
MIDDLE = "{% extends base %}{% block nav_cockpit %}active{% endblock %}"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_menu_equals_the_template_loop(language: str, page: str) -> None:
    def draw(base: Template) -> str:
        context = Context({"nav_items": ITEMS, "flag": True, "base": base})
        context["middle"] = Template(MIDDLE)
        return (Template(page) if page else base).render(context)

    with translation.override(language):
        old, new = draw(OLD_MENU), draw(NEW_MENU)
    assert new == old
    if "nav_requests" in page:
        assert 'href="/requests/?a=1&amp;b=&lt;2&gt;" class="active">' in new
    assert "&lt;b&gt;&quot;Tom&#x27;s&quot; &amp; co&lt;/b&gt;" in new


def test_menu_without_items_is_empty() -> None:
    assert NEW_MENU.render(Context({})) == OLD_MENU.render(Context({}))
    assert NEW_MENU.render(Context({"nav_items": []})) == "    \n  </nav>"


@pytest.mark.django_db
def test_entry_urls_follow_the_script_prefix() -> None:
    from django.urls import get_script_prefix, reverse, set_script_prefix

    before = get_script_prefix()
    try:
        set_script_prefix("/sub/")
        assert nav.entry_url("requests:queue") == reverse("requests:queue")
        assert nav.entry_url("requests:queue").startswith("/sub/")
    finally:
        set_script_prefix(before)
    assert nav.entry_url("requests:queue") == reverse("requests:queue")
    assert not nav.entry_url("requests:queue").startswith("/sub/")
