"""The event page's follow-through chart in a browser: drawn by ECharts under the CSP, and the
table that stands in for it without JavaScript."""

from decimal import Decimal

import pytest
from django.utils import timezone

from guanjia.events.followthrough import add_months
from guanjia.events.services import recount
from guanjia.testing.factories import EventFactory, ProjectFactory, SigningFactory

from .conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_follow_through_chart_draws_on_the_event_page(page, users, city, linghai):
    day = add_months(timezone.localdate().replace(day=1), -14)
    event = EventFactory(name="履约图测试对接会", date=day, region=city)
    for n, stage in enumerate(["operation", "construction", "signed"]):
        project = ProjectFactory(
            name=f"履约图测试项目{n}",
            region=linghai,
            stage=stage,
            signed_on=day,
            construction_on=add_months(day, 2 + n) if stage != "signed" else None,
        )
        SigningFactory(
            project=project, event=event, government=linghai, signed_on=day, amount_wan=Decimal(100)
        )
        recount(project)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security" in m.text else None)
    log_in(page, "t_admin")
    page.goto(f"/events/{event.pk}/")
    page.wait_for_selector("#ft-chart.drawn canvas")
    assert page.locator("#ft-over-time tbody tr").count() == 3
    assert page.locator("#ft-laggards").inner_text().count("履约图测试项目2") == 1
    assert not errors
