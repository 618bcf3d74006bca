"""The session's user, read with its region, enterprise and department in one query compiled
once per process (guanjia.accounts.backends.UserQuery): the same objects as the ORM's."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from guanjia.accounts.backends import USER_QUERY, USER_RELATED, LockoutBackend
from guanjia.accounts.models import Role, User
from guanjia.testing.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def _same_as_the_orm(user_id: int) -> User:
    expected = User.objects.select_related(*USER_RELATED).get(pk=user_id)
    with CaptureQueriesContext(connection) as queries:
        user = LockoutBackend().get_user(user_id)
        assert user is not None
        assert _fields(user) == _fields(expected)
        for name in USER_RELATED:
            related, wanted = getattr(user, name), getattr(expected, name)
            assert (related is None) == (wanted is None)
            if wanted is not None:
                assert _fields(related) == _fields(wanted)
    assert len(queries) == 1  # the relations came with the user
    assert user._state.adding is False
    assert user._state.db == expected._state.db
    return user


def test_a_user_with_every_relation() -> None:
    region = RegionFactory()
    enterprise = EnterpriseFactory(region=region, description="<b>\"x\" & 'y'</b>")
    department = DepartmentFactory(region=region)
    user = UserFactory(
        role=Role.ENTERPRISE,
        region=region,
        enterprise=enterprise,
        department=department,
        display_name="张三",
    )
    loaded = _same_as_the_orm(user.pk)
    assert loaded.enterprise.region_id == region.pk
    assert loaded.last_login is None or loaded.last_login.tzinfo is not None


def test_a_user_without_relations() -> None:
    user = UserFactory(role=Role.CITY_ADMIN, region=None)
    user.last_login = user.date_joined
    user.save()
    loaded = _same_as_the_orm(user.pk)
    assert loaded.region is None and loaded.enterprise is None and loaded.department is None
    assert loaded.last_login == user.date_joined


def test_no_such_user_or_an_inactive_one() -> None:
    assert LockoutBackend().get_user(987654321) is None
    user = UserFactory(is_active=False)
    assert LockoutBackend().get_user(user.pk) is None
    assert USER_QUERY.get(user.pk) is not None  # read, then refused by the backend


def test_a_change_is_seen_at_the_next_request() -> None:
    user = UserFactory(role=Role.STEWARD)
    assert LockoutBackend().get_user(user.pk).role == Role.STEWARD
    User.objects.filter(pk=user.pk).update(role=Role.LEADER)
    assert LockoutBackend().get_user(user.pk).role == Role.LEADER
    user.deactivate(None)
    assert LockoutBackend().get_user(user.pk) is None


def test_a_page_reads_the_session_user_once(client: Any) -> None:
    user = UserFactory(role=Role.CITY_ADMIN, region=RegionFactory())
    client.force_login(user)
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert page.wsgi_request.user.pk == user.pk
