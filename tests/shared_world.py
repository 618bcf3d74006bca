"""A test world built once per module, each test's changes rolled back.

The permission tables play hundreds of rows against the same world (regions, one user per role,
enterprises, projects, requests…). Building it for every row took most of their time, so a
module that plays such a table builds it once, inside a transaction that is rolled back when
the module ends; pytest-django wraps each test in a savepoint inside it (its `TestCase` atomics
nest), so a test's writes never reach the next test, as before.

Objects on the Python side are deep-copied for every test (as `TestCase.setUpTestData` does),
so a test that changes an instance or fills its caches (permissions, related objects) hands a
clean one to the next test.

Use in a test module:

    regions, users, own_enterprise, world = shared_world(build)

where `build(users, linghai, heishan, city)` returns the world dict. These four fixtures then
replace conftest's `regions`, `users` and `own_enterprise` (and `city`, `linghai`, `heishan`
through them) for the module. Files the world saves go to a directory of the module's own,
set as the private and media roots for the whole module. Not for modules with transactional
tests (`transaction=True`, `live_server`): their flush would run inside the open transaction.
"""

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test.utils import override_settings

from .conftest import make_own_enterprise, make_users


def shared_world(build: Callable[..., dict[str, Any]] | None = None) -> tuple[Any, ...]:
    """The module fixtures `regions`, `users`, `own_enterprise` and `world`, built once."""

    @pytest.fixture(scope="module")
    def _shared_world(
        django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[dict[str, Any]]:
        # guanjia.wsgi closes every database connection when first imported (before the web
        # server forks); a test that imports it would end the module's transaction.
        import guanjia.wsgi  # noqa: F401
        from guanjia.regions.loading import load_regions
        from guanjia.regions.models import Region

        root = tmp_path_factory.mktemp("world")
        files = override_settings(GUANJIA_PRIVATE_ROOT=root / "private", MEDIA_ROOT=root / "media")
        files.enable()
        with django_db_blocker.unblock():
            outer = transaction.atomic()
            # Marked as a test case's own block, so code that asks for a durable
            # transaction still runs inside it (as in TestCase).
            outer._from_testcase = True
            outer.__enter__()
        try:
            with django_db_blocker.unblock():
                load_regions()
                regions = {r.code: r for r in Region.objects.all()}
                city, linghai = regions["210700"], regions["210781"]
                users = make_users(city, linghai, make_own_enterprise(linghai))
                built = {"regions": regions, "users": users}
                if build is not None:
                    built["world"] = build(users, linghai, regions["210726"], city)
            yield built
        finally:
            with django_db_blocker.unblock():
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
            files.disable()

    @pytest.fixture
    def _fresh(
        request: pytest.FixtureRequest, _shared_world: dict[str, Any], db: None
    ) -> dict[str, Any]:
        marker = request.node.get_closest_marker("django_db")
        if marker is not None and marker.kwargs.get("transaction"):
            raise pytest.UsageError(
                "a transactional test cannot use the shared world: its flush would run inside "
                "the module's transaction"
            )
        # One deep copy per test, so identities between the pieces hold (the world's users
        # are the `users` fixture's users).
        return copy.deepcopy(_shared_world)

    @pytest.fixture(name="regions")
    def regions(_fresh: dict[str, Any]) -> dict[str, Any]:
        return _fresh["regions"]

    @pytest.fixture(name="users")
    def users(_fresh: dict[str, Any]) -> dict[str, Any]:
        return _fresh["users"]

    @pytest.fixture(name="own_enterprise")
    def own_enterprise(_fresh: dict[str, Any]) -> Any:
        return _fresh["users"]["enterprise"].enterprise

    @pytest.fixture(name="world")
    def world(_fresh: dict[str, Any]) -> dict[str, Any]:
        return _fresh["world"]

    return _shared_world, _fresh, regions, users, own_enterprise, world
