"""Policies to the door (送政策上门): rules checked, run in SQL and in Python (property-tested
against each other), matching on change, deliveries and who sees and changes what."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanjia.accounts.models import Role
from guanjia.enterprises.models import Enterprise, Ownership
from guanjia.notifications.models import Notification
from guanjia.policies import rules, services
from guanjia.policies.models import EnterpriseProfile, MatchStatus, Policy, PolicyMatch
from guanjia.regions.models import Region
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

REGIONS = ["210700", "210781", "210726", "210702"]
OWNERSHIPS = list(Ownership.values)
TAGS = ["专精特新", "瞪羚", "上市", "外贸"]
INDUSTRY_NAMES = ["新能源", "石化及精细化工", "冶金及新材料"]


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "rule, where",
    [
        ([], "rule: a rule node must be an object"),
        ({"all": []}, "rule.all: must be a non-empty list"),
        ({"all": [{"fact": "colour", "op": "in", "value": ["x"]}]}, "rule.all[0].fact"),
        ({"any": [{"fact": "headcount", "op": "in", "value": [1]}]}, "rule.any[0].op"),
        ({"all": [{"fact": "headcount", "op": "gte", "value": "many"}]}, "rule.all[0].value"),
        ({"all": [{"fact": "high_tech", "op": "eq", "value": 1}]}, "rule.all[0].value"),
        ({"all": [{"fact": "tag", "op": "in", "value": []}]}, "rule.all[0].value"),
        ({"all": [{"fact": "tag", "op": "in"}]}, "rule.all[0]: a condition has exactly"),
        ({"all": [{"any": [{"fact": "x"}]}]}, "rule.all[0].any[0]"),
        ({"all": [], "any": []}, "rule: a group has exactly one key"),
        ({"all": [{"fact": "investment_wan", "op": "gte", "value": -5}]}, "rule.all[0].value"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_node(rule, where):
    with translation.override("en"), pytest.raises(rules.RuleError) as exc:
        rules.validate(rule)
    assert where in str(exc.value)


def test_a_policy_with_a_bad_rule_does_not_save(users):
    policy = Policy(title="坏规则", issuer="市工信局", rule={"all": [{"fact": "x"}]})
    with pytest.raises(ValidationError) as exc:
        services.save_policy(users["admin"], policy)
    assert "rule.all[0]" in str(exc.value)
    assert not Policy.objects.exists()


# ----------------------------------------------------------------------------- property


@pytest.fixture
def population(regions, industries):
    """Sixty enterprises with every kind of fact, gaps included (no profile, no region...)."""
    rng = random.Random(4)
    codes = [industries[name].code for name in INDUSTRY_NAMES]
    facts = {}
    for _ in range(60):
        e = EnterpriseFactory(
            ownership=rng.choice(OWNERSHIPS),
            region=regions[rng.choice(REGIONS)] if rng.random() > 0.1 else None,
            industry=industries[rng.choice(INDUSTRY_NAMES)] if rng.random() > 0.1 else None,
        )
        if rng.random() > 0.2:
            EnterpriseProfile.objects.create(
                enterprise=e,
                headcount=rng.choice([None, 10, 50, 100, 300, 1000]),
                high_tech=rng.random() > 0.5,
                tags=",".join(rng.sample(TAGS, rng.randint(0, 2))),
            )
        for _project in range(rng.randint(0, 3)):
            ProjectFactory(
                enterprise=e,
                region=regions["210781"],
                total_investment_wan=Decimal(rng.choice([500, 3000, 10000, 50000, 200000])),
                stage=rng.choice(["lead", "signed", "withdrawn"]),
            )
        facts[e.pk] = rules.facts_for(Enterprise.objects.get(pk=e.pk))
    return {"facts": facts, "industry_codes": codes}


def leaf_strategy(industry_codes):
    amounts = st.sampled_from([0, 500, 2999, 3000, 10000, 60000, 200000, "12.5"])
    return st.one_of(
        st.builds(
            lambda v: {"fact": "industry", "op": "in", "value": v},
            st.lists(st.sampled_from(industry_codes + ["nope"]), min_size=1, max_size=2),
        ),
        st.builds(
            lambda v: {"fact": "ownership", "op": "in", "value": v},
            st.lists(st.sampled_from(OWNERSHIPS), min_size=1, max_size=3),
        ),
        st.builds(
            lambda v: {"fact": "region", "op": "in", "value": v},
            st.lists(st.sampled_from(REGIONS), min_size=1, max_size=2),
        ),
        st.builds(
            lambda v: {"fact": "region", "op": "within", "value": v},
            st.sampled_from(REGIONS + ["210000"]),
        ),
        st.builds(
            lambda op, v: {"fact": "investment_wan", "op": op, "value": v},
            st.sampled_from(["gte", "lte"]),
            amounts,
        ),
        st.builds(
            lambda op, v: {"fact": "headcount", "op": op, "value": v},
            st.sampled_from(["gte", "lte", "eq"]),
            st.sampled_from([0, 10, 50, 99, 100, 1000]),
        ),
        st.builds(lambda v: {"fact": "high_tech", "op": "eq", "value": v}, st.booleans()),
        st.builds(
            lambda v: {"fact": "tag", "op": "in", "value": v},
            st.lists(st.sampled_from(TAGS), min_size=1, max_size=2),
        ),
    )


def rule_strategy(industry_codes):
    return st.recursive(
        leaf_strategy(industry_codes),
        lambda children: st.builds(
            lambda kind, kids: {kind: kids},
            st.sampled_from(["all", "any"]),
            st.lists(children, min_size=1, max_size=3),
        ),
        max_leaves=8,
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_sql_matching_agrees_with_the_python_evaluation(population, data):
    rule = data.draw(rule_strategy(population["industry_codes"]))
    rules.validate(rule)
    in_sql = set(Enterprise.objects.filter(rules.to_q(rule)).values_list("pk", flat=True))
    in_python = {pk for pk, facts in population["facts"].items() if rules.evaluate(rule, facts)}
    assert in_sql == in_python
    # The full re-match's compilation, over the flat facts table, agrees too, with "within"
    # as a substring of the path and as a prefix of the region's own path.
    paths = dict(Region.objects.values_list("code", "path"))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {rules.FACTS_TABLE}")
        cursor.execute(rules.facts_table_sql())
        for known in (None, paths):
            where, params = rules.flat_sql(rule, known)
            cursor.execute(f"SELECT id FROM {rules.FACTS_TABLE} WHERE {where}", params)  # noqa: S608
            assert {row[0] for row in cursor.fetchall()} == in_python
        cursor.execute(f"DROP TABLE {rules.FACTS_TABLE}")
    for pk in in_python:  # whatever matched can say why
        assert rules.explain(rule, population["facts"][pk])


def test_the_empty_rule_matches_everyone(population):
    assert Enterprise.objects.filter(rules.to_q({})).count() == len(population["facts"])


# ----------------------------------------------------------------------------- matching


@pytest.fixture
def world(users, regions, industries, own_enterprise, linghai, heishan):
    """The own enterprise (凌海, 新能源, high-tech, a 5亿 project) with a steward; another in 黑山."""
    steward = UserFactory(username="p_steward", role=Role.STEWARD, region=linghai)
    own_enterprise.industry = industries["新能源"]
    own_enterprise.steward = steward
    own_enterprise.save()
    EnterpriseProfile.objects.create(
        enterprise=own_enterprise, headcount=120, high_tech=True, tags="专精特新"
    )
    ProjectFactory(enterprise=own_enterprise, region=linghai, total_investment_wan=50000)
    other = EnterpriseFactory(name="黑山其他企业", region=heishan, industry=industries["新能源"])
    other_user = UserFactory(username="p_other", role=Role.ENTERPRISE, enterprise=other)
    return {
        "steward": steward,
        "other": other,
        "other_user": other_user,
        "industry": industries["新能源"].code,
    }


def new_energy_rule(world):
    return {
        "all": [
            {"fact": "industry", "op": "in", "value": [world["industry"]]},
            {"fact": "region", "op": "within", "value": "210781"},
            {
                "any": [
                    {"fact": "investment_wan", "op": "gte", "value": 50000},
                    {"fact": "tag", "op": "in", "value": ["瞪羚"]},
                ]
            },
        ]
    }


def make_policy(users, world, **extra):
    fields = {
        "title": "新能源项目扶持资金",
        "issuer": "锦州市发改委",
        "doc_number": "锦发改〔2024〕12号",
        "benefit": "按固定资产投资的3%给予补助。",
        "rule": new_energy_rule(world),
    }
    policy = Policy(**(fields | extra))
    return services.save_policy(users["admin"], policy)


def test_saving_a_policy_delivers_it_and_tells_the_enterprise_and_its_steward(
    users, world, own_enterprise, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        policy = make_policy(users, world)
    match = PolicyMatch.objects.get()
    assert (match.policy, match.enterprise, match.status) == (
        policy,
        own_enterprise,
        MatchStatus.NEW,
    )
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"t_enterprise", "p_steward"}
    with translation.override("en"):
        reasons = services.reasons(match)
    assert reasons == [
        "industry is one of 新能源",
        "registered in 凌海市 or below",
        "has a project of at least 5亿元",
    ]


def test_a_changed_enterprise_is_matched_again_and_an_acted_on_delivery_is_kept(
    users, world, own_enterprise
):
    policy = make_policy(users, world)
    services.match_policy(policy)
    assert services.match_enterprise(world["other"]) == (0, 0)
    world["other"].region = own_enterprise.region
    world["other"].save()
    EnterpriseProfile.objects.create(enterprise=world["other"], tags="瞪羚")
    assert services.match_enterprise(world["other"]) == (1, 0)
    # The own enterprise applies, then its project is withdrawn: the delivery stays.
    match = PolicyMatch.objects.get(enterprise=own_enterprise)
    services.mark_applied(users["enterprise"], match)
    own_enterprise.projects.update(stage="withdrawn")
    assert services.match_enterprise(own_enterprise) == (0, 0)
    assert PolicyMatch.objects.get(enterprise=own_enterprise).status == MatchStatus.APPLIED
    # The other loses its tag before acting: its delivery goes, in both directions of matching.
    EnterpriseProfile.objects.filter(enterprise=world["other"]).update(tags="")
    assert services.match_policy(policy) == (0, 1)
    assert not PolicyMatch.objects.filter(enterprise=world["other"]).exists()


def test_an_automatic_policy_records_the_grant_at_match_time(users, world, own_enterprise):
    policy = make_policy(users, world, automatic=True, title="高新技术企业免申即享奖励")
    services.match_policy(policy)
    match = PolicyMatch.objects.get()
    assert match.status == MatchStatus.GRANTED and match.granted_at is not None


def test_the_full_rematch_agrees_with_matching_each_policy(users, world, own_enterprise):
    one = make_policy(users, world)
    two = make_policy(
        users, world, title="专精特新奖励", automatic=True,
        rule={"all": [{"fact": "tag", "op": "in", "value": ["专精特新"]}]},
    )  # fmt: skip
    assert services.match_all(send=False) == (2, 0)
    assert services.match_all(send=False) == (0, 0)
    assert PolicyMatch.objects.get(policy=two).status == MatchStatus.GRANTED
    assert set(PolicyMatch.objects.values_list("policy", "enterprise")) == {
        (one.pk, own_enterprise.pk),
        (two.pk, own_enterprise.pk),
    }
    EnterpriseProfile.objects.filter(enterprise=own_enterprise).update(tags="")
    assert services.match_all() == (0, 0)  # granted: kept
    one.active = False
    one.save()
    assert services.match_all() == (0, 1)


def test_an_inactive_policy_is_withdrawn_from_unread_deliveries(users, world):
    policy = make_policy(users, world)
    services.match_policy(policy)
    policy.active = False
    services.save_policy(users["admin"], policy)
    assert services.match_policy(policy) == (0, 1)


def test_the_delivery_records_read_applied_and_granted_with_the_amount(
    client, users, world, own_enterprise
):
    policy = make_policy(users, world)
    services.match_policy(policy, send=False)
    match = PolicyMatch.objects.get()
    client.force_login(users["enterprise"])
    page = client.get(f"/policies/deliveries/{match.pk}/").content.decode()
    assert "新能源项目扶持资金" in page and "5亿元" in page and "凌海市" in page
    match.refresh_from_db()
    assert match.status == MatchStatus.READ and match.read_at
    client.post(f"/policies/deliveries/{match.pk}/applied/")
    match.refresh_from_db()
    assert match.status == MatchStatus.APPLIED
    client.force_login(world["steward"])
    client.post(f"/policies/deliveries/{match.pk}/outcome/", {"amount_wan": "150.5"})
    match.refresh_from_db()
    assert match.status == MatchStatus.GRANTED
    assert match.granted_amount_wan == Decimal("150.5")
    assert match.granted_by == world["steward"]


def test_a_city_admin_builds_a_rule_in_the_form(client, users, world):
    client.force_login(users["admin"])
    response = client.post(
        "/policies/new/",
        {
            "title": "专精特新企业奖励",
            "issuer": "锦州市工信局",
            "benefit": "一次性奖励50万元",
            "active": "on",
            "combine": "any",
            "fact_0": "tag",
            "op_0": "in",
            "value_0": "专精特新，瞪羚",
            "fact_1": "headcount",
            "op_1": "gte",
            "value_1": "1000",
        },
    )
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert policy.rule == {
        "any": [
            {"fact": "tag", "op": "in", "value": ["专精特新", "瞪羚"]},
            {"fact": "headcount", "op": "gte", "value": 1000},
        ]
    }
    page = client.get(f"/policies/{policy.pk}/edit/").content.decode()
    assert "专精特新, 瞪羚" in page
    bad = client.post(
        "/policies/new/",
        {"title": "x", "issuer": "y", "combine": "all", "fact_0": "headcount", "op_0": "in"},
    )
    assert bad.status_code == 200 and "rule.all[0].op" in bad.content.decode()


# ----------------------------------------------------------------------------- permissions


@pytest.fixture
def delivered(users, world, own_enterprise):
    policy = make_policy(users, world)
    policy.rule = {"all": [{"fact": "industry", "op": "in", "value": [world["industry"]]}]}
    policy.save()
    services.match_policy(policy, send=False)
    return {
        "policy": policy,
        "own": PolicyMatch.objects.get(enterprise=own_enterprise),
        "other": PolicyMatch.objects.get(enterprise=world["other"]),
    }


LIBRARY = {
    "admin": 200,
    "official": 200,
    "steward": 200,
    "leader": 200,
    "handler": 403,
    "enterprise": 302,
}


@pytest.mark.parametrize("role, expected", LIBRARY.items())
def test_who_opens_the_policy_library(client, users, delivered, role, expected):
    client.force_login(users[role])
    assert client.get("/policies/").status_code == expected
    detail = client.get(f"/policies/{delivered['policy'].pk}/").status_code
    assert detail == (200 if expected == 200 else 403)


@pytest.mark.parametrize(
    "role, expected",
    [("admin", 200), ("official", 403), ("steward", 403), ("leader", 403), ("handler", 403)]
    + [("enterprise", 403)],
)
def test_only_city_admins_edit_policies(client, users, delivered, role, expected):
    client.force_login(users[role])
    assert client.get("/policies/new/").status_code == expected
    assert client.get(f"/policies/{delivered['policy'].pk}/edit/").status_code == expected


@pytest.mark.parametrize(
    "who, own, other",
    [
        ("enterprise", 200, 404),
        ("other_user", 404, 200),
        ("p_steward", 200, 404),
        ("official", 200, 404),  # 凌海's official: the 黑山 enterprise is not theirs
        ("admin", 200, 200),
        ("handler", 404, 404),
    ],
)
def test_who_sees_which_delivery(client, users, world, delivered, who, own, other):
    user = {"other_user": world["other_user"], "p_steward": world["steward"]}.get(who)
    client.force_login(user or users[who])
    assert client.get(f"/policies/deliveries/{delivered['own'].pk}/").status_code == own
    assert client.get(f"/policies/deliveries/{delivered['other'].pk}/").status_code == other


def test_policies_for_you_lists_only_the_enterprise_s_own(client, users, delivered):
    client.force_login(users["enterprise"])
    page = client.get("/policies/for-you/").content.decode()
    assert page.count("新能源项目扶持资金") == 1
    assert f"/policies/deliveries/{delivered['own'].pk}/" in page
    assert f"/policies/deliveries/{delivered['other'].pk}/" not in page


def test_an_enterprise_cannot_record_a_grant_nor_apply_for_another(client, users, world, delivered):
    client.force_login(users["enterprise"])
    client.post(f"/policies/deliveries/{delivered['own'].pk}/outcome/", {"amount_wan": "9"})
    assert client.post(f"/policies/deliveries/{delivered['other'].pk}/applied/").status_code == 404
    delivered["own"].refresh_from_db()
    assert delivered["own"].status != MatchStatus.GRANTED
    with pytest.raises(PermissionDenied):
        services.record_outcome(users["official"], delivered["own"], granted=True)


def test_staff_set_the_profile_facts_and_matching_follows(
    client, users, world, own_enterprise, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    make_policy(users, world, rule={"all": [{"fact": "headcount", "op": "gte", "value": 500}]})
    client.force_login(users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/policies/enterprises/{own_enterprise.pk}/profile/",
            {"headcount": "800", "high_tech": "on", "tags": "专精特新"},
        )
    assert PolicyMatch.objects.filter(enterprise=own_enterprise).exists()
    client.force_login(users["enterprise"])
    assert client.get(f"/policies/enterprises/{own_enterprise.pk}/profile/").status_code == 403


# ----------------------------------------------------------------------------- documents


@pytest.fixture
def private(settings, tmp_path):
    settings.GUANJIA_PRIVATE_ROOT = tmp_path
    return tmp_path


def pdf(name="申报指南.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, b"%PDF-1.4 policy guide", content_type="application/pdf")


def test_a_city_admin_attaches_the_policy_documents_in_the_form(
    client, users, world, private, django_capture_on_commit_callbacks
):
    client.force_login(users["admin"])
    fields = {"title": "新能源补助", "issuer": "锦州市发改委", "combine": "all", "active": "on"}
    response = client.post("/policies/new/", fields | {"documents": [pdf(), pdf("申请表.pdf")]})
    assert response.status_code == 302
    policy = Policy.objects.get()
    assert sorted(policy.documents.values_list("name", flat=True)) == ["申报指南.pdf", "申请表.pdf"]
    page = client.get(f"/policies/{policy.pk}/").content.decode()
    assert "申报指南.pdf" in page
    doc = policy.documents.get(name="申报指南.pdf")
    download = client.get(f"/policies/documents/{doc.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Cache-Control"] == "private, no-store"
    # Removing one leaves the other, and its file goes from the store (and the disk).
    stored = doc.file.name
    path = private / "attachments" / stored
    assert doc.file.storage.exists(stored) and path.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/policies/documents/{doc.pk}/remove/", {"reason": "已过期", "confirm": "on"})
    assert list(policy.documents.values_list("name", flat=True)) == ["申请表.pdf"]
    assert not doc.file.storage.exists(stored) and not path.exists()


def test_a_file_that_is_not_a_document_saves_nothing(client, users, world, private):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(users["admin"])
    fake = SimpleUploadedFile("指南.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    fields = {"title": "新能源补助", "issuer": "锦州市发改委", "combine": "all", "active": "on"}
    response = client.post("/policies/new/", fields | {"documents": [pdf(), fake]})
    assert response.status_code == 200
    assert "指南.pdf" in response.content.decode()
    assert not Policy.objects.exists()
    assert not any(p.is_file() for p in private.rglob("*"))


@pytest.mark.parametrize(
    "who, expected",
    [
        ("admin", 200),
        ("official", 200),
        ("steward", 200),
        ("leader", 200),
        ("enterprise", 200),  # the policy was delivered to its enterprise
        ("other_user", 404),  # not delivered to its enterprise
        ("handler", 404),
    ],
)
def test_who_downloads_a_policy_document(client, users, world, private, who, expected):
    policy = make_policy(users, world, rule={})
    services.save_policy(users["admin"], policy, [pdf()])
    PolicyMatch.objects.create(
        policy=policy, enterprise=users["enterprise"].enterprise, matched_at=policy.created_at
    )
    doc = policy.documents.get()
    client.force_login(world["other_user"] if who == "other_user" else users[who])
    assert client.get(f"/policies/documents/{doc.pk}/").status_code == expected
    confirmed = {"reason": "已过期", "confirm": "on"}
    removal = client.post(f"/policies/documents/{doc.pk}/remove/", confirmed).status_code
    assert removal == (302 if who == "admin" else 403)
