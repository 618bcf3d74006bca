"""Shared fixtures: the Jinzhou region tree, the taxonomy, and one user per role."""

import pytest

from guanjia.accounts.models import Role
from guanjia.industries.loading import load_industries
from guanjia.regions.loading import load_regions
from guanjia.regions.models import Region
from guanjia.testing.factories import DepartmentFactory, EnterpriseFactory, UserFactory

PASSWORD = "pass-for-tests-1"


def pytest_configure(config):
    # The production hasher costs most of a second per password on a small machine; the
    # suite creates hundreds of users, so it uses the fast (and insecure) one.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic in tests: WhiteNoise serves from the finders instead of warning about
    # the missing STATIC_ROOT on every request.
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the ledger summary is cached)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def regions(db):
    load_regions()
    return {r.code: r for r in Region.objects.all()}


@pytest.fixture
def city(regions):
    return regions["210700"]


@pytest.fixture
def linghai(regions):
    return regions["210781"]


@pytest.fixture
def heishan(regions):
    return regions["210726"]


@pytest.fixture
def industries(db):
    load_industries()
    from guanjia.industries.models import Industry

    return {i.name: i for i in Industry.objects.all()}


@pytest.fixture
def own_enterprise(linghai):
    return EnterpriseFactory(name="锦州测试自有企业有限公司", region=linghai)


@pytest.fixture
def users(city, linghai, own_enterprise):
    """One user per role, as the demo has them: the official works in 凌海市."""
    department = DepartmentFactory(name="自然资源局", region=city)
    return {
        "admin": UserFactory(username="t_admin", role=Role.CITY_ADMIN, region=city),
        "official": UserFactory(username="t_official", role=Role.AREA_OFFICIAL, region=linghai),
        "steward": UserFactory(username="t_steward", role=Role.STEWARD, region=city),
        "handler": UserFactory(
            username="t_handler", role=Role.HANDLER, region=city, department=department
        ),
        "leader": UserFactory(username="t_leader", role=Role.LEADER, region=city),
        "enterprise": UserFactory(
            username="t_enterprise", role=Role.ENTERPRISE, enterprise=own_enterprise
        ),
    }


def grant(user):  # type: ignore[no-untyped-def]
    """The user with the permission to reveal masked phone and ID numbers (reloaded:
    permissions are cached on the instance)."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(Permission.objects.get(codename="unmask_personal_data"))
    return type(user).objects.get(pk=user.pk)
