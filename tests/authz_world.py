"""A small world with one object of every kind in 凌海市 ("own") and one in 黑山县 ("other").

The "own" objects belong to the enterprise contact's enterprise and are served by t_steward;
the official works in 凌海. The "other" objects sit in 黑山 with another enterprise and another
steward, so for the official, the steward and the enterprise contact they are outsiders'
objects (404), while the city-wide roles (admin, leader, handler) reach them.

Per-user objects (inbox notifications, import jobs) are "own" when they are the caller's and
"other" when they are someone else's. Used by test_authz_matrix and test_xss_csrf.
"""

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from guanjia.accounts.models import Role, User
from guanjia.approvals.loading import load_approval_kinds
from guanjia.approvals.models import ApprovalKind
from guanjia.approvals.services import add_item
from guanjia.core.models import ImportJob
from guanjia.events import services as event_services
from guanjia.notifications.models import Notification
from guanjia.policies.models import MatchStatus, Policy, PolicyDocument, PolicyMatch
from guanjia.reports.models import Report, ReportKind, ReportStatus
from guanjia.requests import services as request_services
from guanjia.requests.attachments import attach, from_bytes
from guanjia.requests.loading import load_categories
from guanjia.requests.models import Category
from guanjia.servicerecords.services import log_service
from guanjia.taskforces.models import ActionItem
from guanjia.testing.factories import (
    ContactFactory,
    EnterpriseFactory,
    LeadFactory,
    ProjectFactory,
    UserFactory,
)

# The smallest file the attachment check accepts as a PDF (it sniffs the bytes).
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def build_world(users: dict[str, User], linghai: Any, heishan: Any, city: Any) -> dict[str, Any]:
    load_categories()
    load_approval_kinds()
    own_enterprise = users["enterprise"].enterprise
    assert own_enterprise is not None
    steward = users["steward"]
    own_enterprise.steward = steward
    own_enterprise.save()
    other_steward = UserFactory(username="t_steward_hs", role=Role.STEWARD, region=heishan)
    other_enterprise = EnterpriseFactory(
        name="黑山风电有限公司", region=heishan, steward=other_steward
    )
    other_contact = UserFactory(
        username="t_enterprise_hs", role=Role.ENTERPRISE, enterprise=other_enterprise
    )
    project = ProjectFactory(
        name="凌海项目", enterprise=own_enterprise, region=linghai, steward=steward
    )
    other_project = ProjectFactory(
        name="黑山项目", enterprise=other_enterprise, region=heishan, steward=other_steward
    )

    def event(name: str, region: Any, enterprise: Any, signed: Any) -> Any:
        found = event_services.create_event(
            None, participants=[enterprise], name=name, date=dt.date(2023, 3, 23), region=region
        )
        event_services.record_signing(
            None, project=signed, government=region, signed_on=dt.date(2023, 3, 23),
            amount_wan=Decimal("10000"), event=found,
        )  # fmt: skip
        return found

    category = Category.objects.get(code="land")

    def service_request(enterprise: Any, on: Any, by: User) -> Any:
        sr = request_services.submit(
            by, enterprise=enterprise, category=category, project=on,
            title="规划条件迟迟未出", text="项目已摘地三个月，规划条件仍未出具。",
        )  # fmt: skip
        attach(sr, None, from_bytes("材料.pdf", PDF))
        return sr

    def record(enterprise: Any, on: Any, by: User) -> Any:
        return log_service(
            by, enterprise=enterprise, project=on, kind="visit",
            date=dt.date(2026, 11, 2), summary="走访企业，了解用地进度。",
        )  # fmt: skip

    kind = ApprovalKind.objects.order_by("order", "pk").first()
    assert kind is not None

    def action_item(on: Any, owner: User) -> ActionItem:
        return ActionItem.objects.create(
            project=on, text="落实用地指标", owner=owner, due_on=dt.date(2026, 12, 31)
        )

    policy = Policy.objects.create(title="锦州市招商引资奖励办法", issuer="锦州市人民政府")
    other_policy = Policy.objects.create(title="黑山县风电产业扶持政策", issuer="黑山县人民政府")

    def document(of: Policy) -> PolicyDocument:
        doc = PolicyDocument(
            policy=of, name="政策原文.pdf", content_type="application/pdf", size=len(PDF),
            sha256="0" * 64,
        )  # fmt: skip
        doc.file.save("政策原文.pdf", ContentFile(PDF), save=False)
        doc.save()
        return doc

    def match(of: Policy, enterprise: Any) -> PolicyMatch:
        return PolicyMatch.objects.create(
            policy=of, enterprise=enterprise, status=MatchStatus.NEW,
            matched_at=timezone.now(),
        )  # fmt: skip

    def report(region: Any) -> Report:
        found = Report.objects.create(
            kind=ReportKind.WEEKLY, period_start=dt.date(2026, 11, 16),
            period_end=dt.date(2026, 11, 22), region=region, status=ReportStatus.DONE,
            finished_at=timezone.now(),
        )  # fmt: skip
        found.pdf.save("weekly.pdf", ContentFile(PDF))
        return found

    everyone = [*users.values()]
    notifications = {
        u.pk: Notification.objects.create(recipient=u, kind="test", title="提醒", url="/")
        for u in everyone
    }
    jobs = {
        u.pk: ImportJob.objects.create(user=u, original_name="台账.xlsx", file="imports/x.xlsx")
        for u in everyone
    }
    # Each kind's pages show only jobs of their kind (guanjia.core.sheets.pages).
    kind_jobs = {
        f"jobs {kind}": {
            u.pk: ImportJob.objects.create(
                user=u, kind=kind, original_name="台账.xlsx", file="imports/x.xlsx"
            )
            for u in everyone
        }
        for kind in ("requests", "servicerecords", "targets", "leads", "parks")
    }

    def ingested(region: Any, text: str) -> tuple[Any, Any]:
        from guanjia.ingest.models import IngestedDocument, Proposal

        document = IngestedDocument.objects.create(
            source_name="锦州日报", text=text, sha256=hashlib.sha256(text.encode()).hexdigest(),
            uploaded_by=users["admin"],
        )  # fmt: skip
        proposal = Proposal.objects.create(
            document=document, kind="issue", match="reference", region=region,
            payload={"text": text}, evidence_end=len(text),
        )  # fmt: skip
        return document, proposal

    def land(region: Any, name: str) -> tuple[Any, Any, Any, Any]:
        """A park of the area with a plot (and its photo) and a standard building."""
        from guanjia.parks import services as park_services
        from guanjia.parks.models import LandFile

        park = park_services.save_park(users["admin"], name=name, kind="provincial", region=region)
        plot = park_services.create_plot(users["admin"], park=park, code="D1", area_mu=Decimal(50))
        building = park_services.create_building(
            users["admin"], park=park, code="C1", floor_area_m2=Decimal(2000)
        )
        photo = LandFile(
            plot=plot, kind="document", name="规划条件.pdf", content_type="application/pdf",
            size=len(PDF), sha256="0" * 64,
        )  # fmt: skip
        photo.file.save("规划条件.pdf", ContentFile(PDF), save=False)
        photo.save()
        return park, plot, building, photo

    own_land = land(linghai, "凌海测试产业园")
    other_land = land(heishan, "黑山测试产业园")

    own_ingest = ingested(linghai, "凌海市某项目反映用地手续办理缓慢。")
    other_ingest = ingested(heishan, "黑山县某风电项目反映并网接入迟迟未落实。")
    own_event = event("凌海推介会", linghai, own_enterprise, project)
    other_event = event("黑山推介会", heishan, other_enterprise, other_project)

    def lead(investor: Any, region: Any, owner: User) -> Any:
        from guanjia.leads.models import NegotiationRecord

        found = LeadFactory(
            investor=investor, region=region, owner=owner, name=f"{region.name}招商线索"
        )
        NegotiationRecord.objects.create(
            lead=found, date=dt.date(2026, 11, 2), our_side="招商局", their_side="企业",
            outcome="初步意向",
        )  # fmt: skip
        return found

    own_lead = lead(own_enterprise, linghai, steward)
    other_lead = lead(other_enterprise, heishan, other_steward)
    own_record, other_record = own_lead.records.get(), other_lead.records.get()

    def outings(found: Any, region: Any, owner: User) -> tuple[Any, Any]:
        """A visit received touching the lead, and a trip out with one meeting of it."""
        from guanjia.leads.models import NegotiationRecord, Trip, Visit

        visit = Visit.objects.create(
            date=dt.date(2026, 11, 5), region=region, owner=owner, visitors="企业考察团",
        )  # fmt: skip
        visit.investors.add(found.investor)
        visit.leads.add(found)
        trip = Trip.objects.create(
            destinations="北京", start_on=dt.date(2026, 11, 1), end_on=dt.date(2026, 11, 3),
            region=region, owner=owner,
        )  # fmt: skip
        NegotiationRecord.objects.create(
            lead=found, trip=trip, kind="trip_out", date=dt.date(2026, 11, 2),
            our_side="招商小分队", their_side="企业总部", outcome="达成初步意向",
        )  # fmt: skip
        return visit, trip

    own_visit, own_trip = outings(own_lead, linghai, steward)
    other_visit, other_trip = outings(other_lead, heishan, other_steward)
    own_sr = service_request(own_enterprise, project, users["enterprise"])
    other_sr = service_request(other_enterprise, other_project, other_contact)
    return {
        "users": users,
        "region": linghai,
        "other region": heishan,
        "enterprise": (own_enterprise, other_enterprise),
        "contact": (
            ContactFactory(enterprise=own_enterprise),
            ContactFactory(enterprise=other_enterprise),
        ),
        "project": (project, other_project),
        "event": (own_event, other_event),
        # each event's guest (its participant, invited) and a row of its signing list
        "guest": (
            event_services.invite(
                own_event, EnterpriseFactory(name="凌海来宾有限公司", region=linghai), None
            ),
            event_services.invite(
                other_event, EnterpriseFactory(name="黑山来宾有限公司", region=heishan), None
            ),
        ),
        "signing row": (
            event_services.add_row(
                own_event,
                None,
                government=linghai,
                amount_wan=Decimal(1),
                project=ProjectFactory(
                    name="凌海拟签项目", enterprise=own_enterprise, region=linghai, steward=steward
                ),
            ),
            event_services.add_row(
                other_event,
                None,
                government=heishan,
                amount_wan=Decimal(1),
                project=ProjectFactory(
                    name="黑山拟签项目",
                    enterprise=other_enterprise,
                    region=heishan,
                    steward=other_steward,
                ),
            ),
        ),  # fmt: skip
        "request": (own_sr, other_sr),
        "attachment": (own_sr.attachments.get(), other_sr.attachments.get()),
        "service record": (
            record(own_enterprise, project, steward),
            record(other_enterprise, other_project, other_steward),
        ),
        "approval": (
            add_item(project, kind, users["admin"]),
            add_item(other_project, kind, users["admin"]),
        ),
        "action item": (action_item(project, steward), action_item(other_project, other_steward)),
        "policy": (policy, other_policy),
        "policy document": (document(policy), document(other_policy)),
        "match": (match(policy, own_enterprise), match(other_policy, other_enterprise)),
        "report": (report(linghai), report(heishan)),
        "ingested document": (own_ingest[0], other_ingest[0]),
        "lead": (own_lead, other_lead),
        "negotiation record": (own_record, other_record),
        "visit": (own_visit, other_visit),
        "trip": (own_trip, other_trip),
        "park": (own_land[0], other_land[0]),
        "plot": (own_land[1], other_land[1]),
        "building": (own_land[2], other_land[2]),
        "land file": (own_land[3], other_land[3]),
        "proposal": (own_ingest[1], other_ingest[1]),
        "notifications": notifications,
        "jobs": jobs,
        **kind_jobs,
    }


def obj(world: dict[str, Any], key: str, user: User | None, other: bool) -> Any:
    """The object a URL keyword stands for: own (凌海 / the caller's) or other (黑山 / someone
    else's)."""
    if key in ("notification", "import job") or key.endswith(" import job"):
        if key.endswith(" import job") and key != "import job":
            by_user = world[f"jobs {key.removesuffix(' import job')}"]
        else:
            by_user = world["notifications" if key == "notification" else "jobs"]
        admin = world["users"]["admin"]
        me = user.pk if user is not None else admin.pk
        if other:
            # someone else's: the admin's, or the official's when the caller is the admin
            me = world["users"]["official"].pk if me == admin.pk else admin.pk
        return by_user[me]
    return world[key][1 if other else 0]
