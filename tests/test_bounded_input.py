"""Bounded input: every text has a maximum length, numbers have sane ranges, names refuse
invisible characters, on every write path (model, web form, API, Open311, import), and the
audit log never stores more than a bounded amount of any value.

The tables enumerate the models: a new TextField without a limit, a new name field without
the name validator, or a bounded number field that loses its bounds fails here.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
import xlsxwriter
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from guanjia.accounts.models import ApiToken
from guanjia.core import audit, bounds
from guanjia.core.models import AuditAction, AuditEntry
from guanjia.enterprises.models import Enterprise
from guanjia.projects.importers import run_import
from guanjia.projects.models import Project
from guanjia.requests.loading import load_categories
from guanjia.requests.models import ServiceRequest
from guanjia.testing.factories import EnterpriseFactory
from guanjia.worktime.loading import load_holidays

API = "/api/v1"
MB12 = 12 * 1024 * 1024
MB1 = 1024 * 1024  # over every text limit, under the request body limit (4 MB)


def guanjia_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("guanjia.")]


def field_id(model: type[models.Model], name: str) -> str:
    return f"{model._meta.label}.{name}"


# --- text lengths: every TextField of every model -------------------------------------------

# The limit each text has, decided per use. A new TextField needs a row here (and a limit).
TEXT_LIMITS = {
    "core.AuditEntry.note": bounds.NOTE_MAX,
    "enterprises.Enterprise.description": bounds.TEXT_MAX,
    "projects.Project.construction_content": bounds.TEXT_MAX,
    "events.Event.description": bounds.TEXT_MAX,
    "requests.ServiceRequest.text": bounds.TEXT_MAX,
    "requests.ServiceRequest.answer": bounds.TEXT_MAX,
    "requests.RequestEvent.note": bounds.TEXT_MAX,
    "requests.ReplyTemplate.text": bounds.TEXT_MAX,
    "requests.Revisit.answer": bounds.NOTE_MAX,
    "requests.RequestPart.answer": bounds.TEXT_MAX,
    "servicerecords.ServiceRecord.summary": bounds.TEXT_MAX,
    "notifications.Notification.body": bounds.TEXT_MAX,
    "notifications.Notification.email_error": bounds.ERROR_MAX,
    "notifications.WebhookDelivery.last_error": bounds.ERROR_MAX,
    "notifications.ChannelDelivery.last_error": bounds.ERROR_MAX,
    "policies.Policy.benefit": bounds.LONG_TEXT_MAX,
    "taskforces.Meeting.minutes": bounds.LONG_TEXT_MAX,
    "taskforces.Decision.decision": bounds.NOTE_MAX,
    "reports.Report.error": bounds.ERROR_MAX,
    "ingest.IngestedDocument.text": bounds.DOCUMENT_TEXT_MAX,
    "leads.Lead.notes": bounds.TEXT_MAX,
    "leads.NegotiationRecord.asked": bounds.NOTE_MAX,
    "leads.NegotiationRecord.offered": bounds.NOTE_MAX,
    "leads.NegotiationRecord.outcome": bounds.NOTE_MAX,
    "leads.Visit.sites": bounds.NOTE_MAX,
    "leads.Visit.notes": bounds.TEXT_MAX,
    "leads.Trip.purpose": bounds.NOTE_MAX,
    "parks.Park.description": bounds.TEXT_MAX,
    "parks.Park.sources": bounds.NOTE_MAX,
    "parks.Plot.notes": bounds.NOTE_MAX,
    "parks.Building.notes": bounds.NOTE_MAX,
}

TEXT_FIELDS = [
    (model, field)
    for model in guanjia_models()
    for field in model._meta.concrete_fields
    if isinstance(field, models.TextField)
]


def test_the_table_names_every_text_field_of_every_model():
    found = {field_id(model, field.name) for model, field in TEXT_FIELDS}
    assert found == set(TEXT_LIMITS), "give each new TextField a limit (guanjia.core.bounds)"


@pytest.mark.parametrize(
    ("model", "field"), TEXT_FIELDS, ids=[field_id(m, f.name) for m, f in TEXT_FIELDS]
)
def test_every_text_field_is_bounded_on_every_path(model, field):
    limit = TEXT_LIMITS[field_id(model, field.name)]
    assert field.max_length == limit  # forms (and the schemas that read it)
    # full_clean, and so audited_save, the shared write path of every service
    assert any(
        isinstance(v, MaxLengthValidator) and v.limit_value == limit for v in field.validators
    )
    field.clean("字" * limit, None)
    with pytest.raises(ValidationError) as refused:
        field.clean("字" * (limit + 1), None)
    assert str(limit) in str(refused.value)
    assert field.formfield().max_length == limit


# --- names: every name and title refuses invisible characters -------------------------------

# Name-like fields that hold something else: a file's name as uploaded (the attachment checks
# own it), what the system writes itself, or a person's first/last name from Django's user.
NOT_NAMES = {
    "accounts.User.username",  # Django's own username validator
    "accounts.User.first_name",
    "accounts.User.last_name",
    "core.ScheduledJob.name",
    "core.TaskOutbox.queue_name",  # the queue's name, from the settings
    "core.ImportJob.original_name",
    "requests.Attachment.name",
    "policies.PolicyDocument.name",
    "parks.LandFile.name",
    "approvals.ApprovalItem.commitment_name",
    "ingest.IngestedDocument.source_name",
    "notifications.Notification.title",  # written by the system from validated names
    "notifications.WebhookEndpoint.name",
}

NAME_FIELDS = [
    (model, field)
    for model in guanjia_models()
    for field in model._meta.concrete_fields
    if isinstance(field, models.CharField)
    and not field.choices
    and (field.name in ("name", "title", "short_name", "display_name") or "name" in field.name)
    and field_id(model, field.name) not in NOT_NAMES
]


@pytest.mark.parametrize(
    ("model", "field"), NAME_FIELDS, ids=[field_id(m, f.name) for m, f in NAME_FIELDS]
)
def test_every_name_field_refuses_invisible_characters(model, field):
    assert bounds.validate_name in field.validators
    with pytest.raises(ValidationError):
        field.clean("锦州\u202e石化", None)
    assert field.clean("锦州石化", None) == "锦州石化"


def test_the_names_the_issue_lists_are_covered():
    covered = {field_id(m, f.name) for m, f in NAME_FIELDS}
    assert {
        "enterprises.Enterprise.name",
        "enterprises.Contact.name",
        "projects.Project.name",
        "events.Event.name",
        "policies.Policy.title",
        "regions.Region.name",
        "accounts.User.display_name",
        "requests.ServiceRequest.title",
        "taskforces.Meeting.title",
    } <= covered


@pytest.mark.parametrize(
    ("value", "code", "position"),
    [
        ("锦州\x00石化", 0x00, 3),
        ("锦州\t石化", 0x09, 3),
        ("锦州石化\n", 0x0A, 5),
        ("\x1b[31m锦州", 0x1B, 1),
        ("\x7f锦州", 0x7F, 1),
        ("\x85锦州", 0x85, 1),  # C1 control
        ("锦\u200b州", 0x200B, 2),
        ("锦\u200c州", 0x200C, 2),
        ("锦\u200d州", 0x200D, 2),
        ("锦\u2060州", 0x2060, 2),
        ("\ufeff锦州", 0xFEFF, 1),
        ("锦州\u202a石化", 0x202A, 3),
        ("锦州\u202b石化", 0x202B, 3),
        ("锦州\u202c石化", 0x202C, 3),
        ("锦州\u202d石化", 0x202D, 3),
        ("invoice\u202egpj.exe", 0x202E, 8),
        ("锦州\u2066石化", 0x2066, 3),
        ("锦州\u2067石化", 0x2067, 3),
        ("锦州\u2068石化", 0x2068, 3),
        ("锦州\u2069石化", 0x2069, 3),
    ],
)
def test_the_name_validator_says_which_character_and_where(value, code, position):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        bounds.validate_name(value)
    message = refused.value.messages[0]
    assert f"U+{code:04X}" in message
    assert f"at character {position};" in message
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        bounds.validate_name(value)
    assert f"第{position}个字符" in refused.value.messages[0]
    assert f"U+{code:04X}" in refused.value.messages[0]


@pytest.mark.parametrize(
    "value",
    [
        "中国石油锦州石化分公司",
        "国家电投东北公司",
        "Jinzhou Petrochemical (PetroChina) Co., Ltd.",
        "龙宇新材料·颜料 (Ⅱ期)",
        "锦州 滨海新区 项目",
        "Société Générale 中国",
        "مشروع",  # right-to-left script itself is fine; only the overrides are refused
    ],
)
def test_real_names_pass(value):
    bounds.validate_name(value)


# --- numbers --------------------------------------------------------------------------------

# (field, too low, too high, fine)
NUMBER_BOUNDS = [
    ("projects.Project.plan_year", 1948, 99999, 2026),
    ("projects.Project.total_investment_wan", Decimal(-1), Decimal(10) ** 9 + 1, Decimal(612)),
    ("projects.Project.planned_investment_year_wan", Decimal(-1), Decimal(10) ** 10, Decimal(0)),
    ("projects.Project.completed_investment_year_wan", Decimal(-1), Decimal(10) ** 10, 1),
    ("projects.Project.funds_in_place_wan", Decimal("-0.01"), Decimal(10) ** 10, 1),
    ("events.Signing.amount_wan", Decimal(-1), Decimal(10) ** 10, Decimal(6120000)),
    ("guarantees.Guarantee.land_mu", Decimal(-1), Decimal(1_000_001), Decimal(350)),
    ("guarantees.Guarantee.energy_tce", Decimal(-1), Decimal(10) ** 9 + 1, Decimal(5000)),
    ("guarantees.Guarantee.finance_needed_wan", Decimal(-1), Decimal(10) ** 10, Decimal(5000)),
    ("guarantees.Guarantee.finance_secured_wan", Decimal(-1), Decimal(10) ** 10, Decimal(5000)),
    ("policies.PolicyMatch.granted_amount_wan", Decimal(-1), Decimal(10) ** 10, Decimal(50)),
    ("policies.EnterpriseProfile.headcount", -1, 10_000_001, 300),
    ("targets.Target.year", 1948, 2101, 2025),
    ("targets.Actual.year", 1948, 2101, 2025),
    ("targets.Target.value", Decimal(-(10**13)), Decimal(10**13), Decimal(1600)),
    ("ingest.IngestedDocument.year", 1948, 2101, 2024),
]


def _field(label: str) -> models.Field:
    app_model, name = label.rsplit(".", 1)
    return apps.get_model(app_model)._meta.get_field(name)


@pytest.mark.parametrize(
    ("label", "low", "high", "fine"), NUMBER_BOUNDS, ids=[b[0] for b in NUMBER_BOUNDS]
)
def test_numbers_have_sane_bounds(label, low, high, fine):
    field = _field(label)
    assert any(isinstance(v, MinValueValidator) for v in field.validators)
    assert any(isinstance(v, MaxValueValidator) for v in field.validators)
    field.clean(fine, None)
    for value in (low, high):
        with pytest.raises(ValidationError):
            field.clean(value, None)


def test_amounts_in_text_are_capped_too():
    from guanjia.core.amounts import AmountError, parse_amount_wan

    assert parse_amount_wan("10万亿元") == bounds.AMOUNT_WAN_MAX
    assert parse_amount_wan("612亿元") == Decimal(6_120_000)
    with pytest.raises(AmountError):
        parse_amount_wan("10.01万亿元")


# --- the audit log keeps a bounded amount of any value --------------------------------------


@pytest.mark.django_db
def test_the_audit_log_cuts_any_long_value_with_a_marker(linghai):
    enterprise = EnterpriseFactory(region=linghai)
    huge = "长" * 50_000
    entry = audit.record(
        None,
        AuditAction.UPDATE,
        enterprise,
        before={"description": huge, "tags": list(range(5000))},
        after={"description": "短"},
        note="备" * 10_000,
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    kept = stored.before["description"]
    assert len(kept) < bounds.AUDIT_VALUE_MAX + 100
    assert kept.endswith("[truncated: 50000 characters in all]")
    assert len(stored.before["tags"]) == audit.AUDIT_LIST_MAX + 1
    assert stored.after == {"description": "短"}
    assert len(stored.note) < bounds.NOTE_MAX + 100
    # Entries written in bulk (the importers) are cut as well.
    [bulk] = AuditEntry.objects.bulk_create(
        [AuditEntry(action=AuditAction.IMPORT, object_type="x", object_id="1", after={"t": huge})]
    )
    assert len(AuditEntry.objects.get(pk=bulk.pk).after["t"]) < bounds.AUDIT_VALUE_MAX + 100


# --- through the web form -------------------------------------------------------------------


def project_form(region, enterprise, **overrides) -> dict[str, str]:
    data = {
        "name": "龙宇颜料新线",
        "enterprise": str(enterprise.pk),
        "region": str(region.pk),
        "level": "general",
        "total_investment_wan": "3.5亿元",
        "planned_investment_year_wan": "",
        "completed_investment_year_wan": "",
        "funds_in_place_wan": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def web(users):
    client = Client(headers={"accept-language": "en"})
    client.force_login(users["admin"])
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("construction_content", "x" * MB1, "at most 5000 characters"),
        ("construction_content", "建" * 5001, "at most 5000 characters"),
        ("plan_year", "99999", "less than or equal to 2100"),
        ("plan_year", "1900", "greater than or equal to 1949"),
        ("name", "锦州\u202e项目", "U+202E"),
        ("name", "项\u200b目", "U+200B"),
        ("task_force", "专班\x07", "U+0007"),
        ("total_investment_wan", "20万亿元", "too large"),
        ("total_investment_wan", "-5", "negative"),
    ],
)
def test_the_project_form_refuses_it_and_writes_nothing(
    web, linghai, own_enterprise, field, value, says
):
    response = web.post(
        reverse("projects:project_create"), project_form(linghai, own_enterprise, **{field: value})
    )
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert f'id="field-{field}"' in html and says in html
    assert not Project.objects.exists()
    assert not AuditEntry.objects.filter(object_type="projects.project").exists()


@pytest.mark.django_db
def test_the_form_marks_the_limit_for_the_browser(web):
    html = web.get(reverse("projects:project_create")).content.decode()
    assert 'maxlength="5000"' in html  # construction content


# --- through the API ------------------------------------------------------------------------


@pytest.fixture
def api(users):
    _, raw = ApiToken.issue(users["admin"], name="tests")
    client = Client(headers={"accept-language": "en", "authorization": f"Bearer {raw}"})

    def call(method: str, path: str, body: dict) -> object:
        return getattr(client, method)(
            f"{API}{path}", data=json.dumps(body), content_type="application/json"
        )

    return call


def api_project(linghai, enterprise, **fields) -> dict:
    return {"name": "针状焦项目", "enterprise_id": enterprise.pk, "region_id": linghai.pk, **fields}


@pytest.mark.django_db
def test_a_12_mb_construction_content_is_refused_and_never_reaches_the_audit_log(
    api, linghai, own_enterprise
):
    # 12 MB is over the request body limit: refused before it is read.
    response = api(
        "post", "/projects", api_project(linghai, own_enterprise, construction_content="x" * MB12)
    )
    assert response.status_code == 413
    assert not Project.objects.exists()
    assert not AuditEntry.objects.exists()
    # 1 MB is read, and refused by the field's limit, naming the field.
    response = api(
        "post", "/projects", api_project(linghai, own_enterprise, construction_content="x" * MB1)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "construction_content", "message": "is too long (at most 5000 characters)"}
    ]
    assert not Project.objects.exists()
    assert not AuditEntry.objects.exists()
    # Nor through an edit.
    created = api("post", "/projects", api_project(linghai, own_enterprise))
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    entries = AuditEntry.objects.count()
    response = api("patch", f"/projects/{pk}", {"construction_content": "建" * 5001})
    assert response.status_code == 422
    assert Project.objects.get(pk=pk).construction_content == ""
    assert AuditEntry.objects.count() == entries


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"plan_year": 99999}, "plan_year", "is out of range: at most 2100"),
        ({"plan_year": 1900}, "plan_year", "is out of range: at least 1949"),
        ({"total_investment_wan": "20万亿元"}, "total_investment_wan", "too large"),
        ({"total_investment_wan": -1}, "total_investment_wan", "negative"),
        ({"name": "锦州\u202e项目"}, "name", "U+202E"),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"task_force": "专\u2066班"}, "task_force", "U+2066"),
    ],
)
def test_the_api_refuses_bad_project_input_with_a_422_naming_the_field(
    api, linghai, own_enterprise, fields, field, says
):
    response = api("post", "/projects", api_project(linghai, own_enterprise, **fields))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field and says in error["message"]
    assert not Project.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"name": "锦州\u200b石化"}, "name", "U+200B"),
        ({"description": "描" * 5001}, "description", "at most 5000 characters"),
        ({"address": "址" * 201}, "address", "at most 200 characters"),
    ],
)
def test_the_api_refuses_bad_enterprise_input(api, users, fields, field, says):
    from guanjia.testing.factories import credit_code

    body = {"name": "锦州新企业有限公司", "credit_code": credit_code("210781", 8101), **fields}
    response = api("post", "/enterprises", body)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == field and says in error["message"]
    assert not Enterprise.objects.filter(credit_code=body["credit_code"]).exists()


@pytest.mark.django_db
def test_the_api_answers_in_the_users_language(users, linghai, own_enterprise):
    _, raw = ApiToken.issue(users["admin"], name="tests")
    client = Client(headers={"accept-language": "zh-hans", "authorization": f"Bearer {raw}"})
    response = client.post(
        f"{API}/projects",
        data=json.dumps(api_project(linghai, own_enterprise, name="锦州\u202e项目")),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "第3个字符" in response.json()["errors"][0]["message"]


def _input_schemas(schema: dict) -> dict[str, dict]:
    components = schema["components"]["schemas"]
    return {
        name: body for name, body in components.items() if name.endswith(("Create", "Update", "In"))
    }


@pytest.mark.django_db
def test_the_openapi_schema_states_every_input_texts_limit(web):
    schema = web.get(f"{API}/openapi.json").json()
    inputs = _input_schemas(schema)
    assert {"ProjectCreate", "ProjectUpdate", "EnterpriseCreate", "RequestCreate"} <= set(inputs)
    unbounded = []
    for name, body in inputs.items():
        for prop, spec in body.get("properties", {}).items():
            options = spec.get("anyOf", [spec])
            for option in options:
                if option.get("type") == "string" and not {"enum", "maxLength", "format"} & set(
                    option
                ):
                    unbounded.append(f"{name}.{prop}")
    assert unbounded == [], unbounded
    project = inputs["ProjectCreate"]["properties"]
    assert project["construction_content"]["maxLength"] == bounds.TEXT_MAX
    assert project["name"]["maxLength"] == 200
    year = next(o for o in project["plan_year"].get("anyOf", [project["plan_year"]]) if "type" in o)
    assert (year["minimum"], year["maximum"]) == (bounds.YEAR_MIN, bounds.YEAR_MAX)


# --- requests: the API and Open311 ----------------------------------------------------------


@pytest.fixture
def categories(db):
    load_categories()
    load_holidays([2025, 2026, 2027])


@pytest.mark.django_db
def test_a_request_title_with_an_override_is_refused_by_the_api(users, categories):
    _, raw = ApiToken.issue(users["enterprise"], name="tests")
    client = Client(headers={"accept-language": "en", "authorization": f"Bearer {raw}"})
    body = {"category": "land", "text": "请协调用地", "title": "用地\u202e问题"}
    response = client.post(
        f"{API}/requests", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "title"
    body = {"category": "land", "text": "字" * 5001}
    response = client.post(
        f"{API}/requests", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 422
    assert not ServiceRequest.objects.exists()


@pytest.mark.django_db
def test_open311_refuses_a_long_description_and_cleans_a_made_title(users, categories):
    _, key = ApiToken.issue(users["enterprise"], name="tests")
    client = Client(headers={"accept-language": "en"})
    url = "/open311/v2/requests.json"
    response = client.post(
        url, {"api_key": key, "service_code": "land", "description": "字" * 5001}
    )
    assert response.status_code == 400
    assert "5000" in response.content.decode()
    assert not ServiceRequest.objects.exists()
    # Text pasted from a chat app carries zero-width spaces: the text keeps them, the title
    # made from its first line does not (the enterprise never typed a title).
    text = "用地\u200b手续\u202e卡住\n请协调"
    response = client.post(url, {"api_key": key, "service_code": "land", "description": text})
    assert response.status_code == 201, response.content
    request = ServiceRequest.objects.get()
    assert request.title == "用地手续卡住" and request.text == text


# --- through an import ----------------------------------------------------------------------

HEADERS = ["项目名称", "企业名称", "所属县区", "当前阶段", "总投资(万元)", "计划年度", "建设内容"]


def write_xlsx(path, rows):
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("台账")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    workbook.close()
    return path


@pytest.mark.django_db
def test_an_import_names_row_column_and_limit_and_writes_nothing(tmp_path, regions, settings):
    settings.LANGUAGE_CODE = "en"
    good = ["针状焦项目", "锦州石化", "凌海市", "在谈", 1000, 2025, "年产4万吨针状焦"]
    rows = [
        HEADERS,
        good,
        ["风电项目", "国家电投", "黑山县", "在谈", 1000, 2025, "风" * 5001],
        ["电池项目", "宁德时代", "太和区", "在谈", 1000, 99999, ""],
        ["颜料\u202e项目", "龙宇新材料", "凌海市", "在谈", 1000, 2025, ""],
        ["焦化项目", "锦州\u200b焦化", "凌海市", "在谈", 1000, 2025, ""],
        ["汽配项目", "万得集团", "凌海市", "在谈", "20万亿元", 2025, ""],
    ]
    result = run_import(write_xlsx(tmp_path / "台账.xlsx", rows))
    assert not result.committed
    errors = {(e.row, e.column): e.reason for e in result.errors}
    assert "at most 5000 characters, this has 5001" in errors[(3, "G")]
    assert "99999" in errors[(4, "F")] and "1949 to 2100" in errors[(4, "F")]
    assert "U+202E" in errors[(5, "A")]
    assert "U+200B" in errors[(6, "B")]
    assert "too large" in errors[(7, "E")]
    assert str(result.errors[0]).startswith("row 3, column G")
    assert not Project.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_an_ingested_text_is_bounded(users):
    from guanjia.ingest import services as ingest

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        ingest.ingest("锦" * (bounds.DOCUMENT_TEXT_MAX + 1), actor=users["admin"])
    assert "at most 200000 characters" in refused.value.messages[0]
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db
def test_dates_and_values_before_the_bounds_were_set_still_load(regions):
    """The demo's and the reference city's own figures sit well inside the bounds."""
    for label, value in [
        ("projects.Project.plan_year", dt.date.today().year),
        ("projects.Project.total_investment_wan", Decimal(6_120_000)),  # 612亿元
        ("events.Signing.amount_wan", Decimal(1_051_600)),  # 105.16亿元
        ("targets.Target.value", Decimal(16_000_000)),  # GDP 1600亿元
    ]:
        _field(label).clean(value, None)
