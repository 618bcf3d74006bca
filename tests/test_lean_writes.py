"""The cheaper paths of the load mix's writes (issue 19 item 1) decide what the slower ones
did: an enterprise a write names is in scope exactly when the scope's query says so, and an
answer kept in a process under a version is never served after that version moved."""

import pytest
from django.core.cache import cache

from guanjia.accounts.models import Role
from guanjia.accounts.scope import ReferenceOutOfScope, check_reference
from guanjia.core.versioned import Versioned
from guanjia.enterprises.access import referenced_enterprise, seen_by_its_row
from guanjia.testing.factories import EnterpriseFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _scoped(user, pk):
    try:
        return check_reference(user, "enterprise", pk, field="enterprise_id")
    except ReferenceOutOfScope:
        return None


def _cheap(user, pk):
    try:
        return referenced_enterprise(user, pk, "enterprise_id", related=("steward",))
    except ReferenceOutOfScope as exc:
        assert exc.field == "enterprise_id"
        return None


def test_an_enterprise_is_referenced_exactly_as_the_scope_allows(users, linghai, heishan):
    stewardess = UserFactory(username="t_steward2", role=Role.STEWARD, region=linghai)
    here = EnterpriseFactory(name="凌海企业", region=linghai, steward=stewardess)
    there = EnterpriseFactory(name="黑山企业", region=heishan)
    nowhere = EnterpriseFactory(name="外地投资方", region=None)
    tied = EnterpriseFactory(name="黑山企业（凌海项目）", region=heishan)
    ProjectFactory(enterprise=tied, region=linghai)
    people = [*users.values(), stewardess]
    people.append(UserFactory(username="t_norole", role=Role.AREA_OFFICIAL, region=None))
    people.append(UserFactory(username="t_root", role=Role.CITY_ADMIN, is_superuser=True))
    for user in people:
        for enterprise in (here, there, nowhere, tied, users["enterprise"].enterprise):
            expected = _scoped(user, enterprise.pk)
            assert _cheap(user, enterprise.pk) == expected, (user.username, enterprise.name)
            if seen_by_its_row(user, enterprise):  # never True outside the scope
                assert expected is not None, (user.username, enterprise.name)
        assert _cheap(user, 987654321) is None
    found = _cheap(users["official"], here.pk)
    assert found.steward == stewardess and found.region == linghai


def test_an_answer_kept_in_the_process_follows_its_version():
    kept = Versioned("test-local", local=True)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert kept.cached("k", compute) == 1
    cache.delete(f"gj:test-local:{kept.version()}:k")
    assert kept.cached("k", compute) == 1  # from the process: the version did not move
    kept.bump()
    assert kept.cached("k", compute) == 2
    before = kept.version()
    cache.clear()  # the cache emptied: a new version, not one read before
    assert kept.version() != before
    assert kept.cached("k", compute) == 3
    assert len(calls) == 3
