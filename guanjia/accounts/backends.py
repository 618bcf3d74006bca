"""The one authentication backend: django-axes' lock-out check, then the password check."""

import threading
from typing import Any

from axes.backends import AxesBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connections, router
from django.db.models.query import _get_from_db, get_related_populators  # type: ignore[attr-defined]
from django.http import HttpRequest

# What every request knows of its user, read with the user in one query: the region every
# scoped query reads, the enterprise of an enterprise's contact, a handler's department.
USER_RELATED = ("region", "enterprise", "department")


class LockoutBackend(AxesBackend):
    """django-axes' lock-out check, then ModelBackend's password check; the lock-out check is
    skipped when there is no request to tell the address from.

    Every log-in form (ours, the admin's) passes the request. Only code that calls
    `authenticate()` without one — Django's test client `login()` — skips the lock-out; the
    password is checked all the same. One backend rather than two, so views that log a user
    in without authenticate() (the invitation's set-password page) need not name one.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is not None:
            # Raises (and so ends the log-in) while the account or the address is locked.
            AxesBackend.authenticate(self, request, username=username, password=password, **kwargs)
        return ModelBackend.authenticate(
            self, request, username=username, password=password, **kwargs
        )

    def get_user(self, user_id: Any) -> Any:
        """The session's user with their region, enterprise and department (USER_RELATED),
        in one query whose SQL is compiled once per process (`UserQuery`)."""
        user = USER_QUERY.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class UserQuery:
    """`User.objects.select_related(*USER_RELATED).get(pk=…)` for every request's session,
    without compiling the same SQL each time (the ORM's compiler cost about half of the
    query's CPU). The statement, its column map and the related objects' populators are
    made once per database alias by the ORM itself; each call executes the statement and
    builds the instances the way the ORM's ModelIterable does. tests/test_frame.py checks
    the result equals the ORM's on both databases."""

    SENTINEL = -7_351_911  # the pk the statement is compiled with, replaced at each call

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> Any:
        model = get_user_model()
        queryset = (
            model._default_manager.using(alias)
            .select_related(*USER_RELATED)
            .filter(pk=self.SENTINEL)
        )
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        if list(params) != [self.SENTINEL]:  # not the shape expected: the ORM each time
            return None
        select, klass_info = compiler.select, compiler.klass_info
        fetch_mode = queryset._fetch_mode  # type: ignore[attr-defined]
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return (
            sql,
            compiler,
            compiler.get_converters([s[0] for s in select[: compiler.col_count]]),
            _get_from_db(klass_info["model"], fetch_mode),
            [f[0].target.attname for f in select[start:end]],
            (start, end),
            get_related_populators(klass_info, select, alias, fetch_mode),
        )

    def get(self, user_id: Any) -> Any:
        model = get_user_model()
        alias = router.db_for_read(model)
        key = f"{alias}:{connections[alias].vendor}"
        compiled = self._compiled.get(key, False)
        if compiled is False:
            with self._lock:
                compiled = self._compiled[key] = self._compile(alias)
        if compiled is None:
            try:
                return model._default_manager.select_related(*USER_RELATED).get(pk=user_id)
            except model.DoesNotExist:
                return None
        sql, compiler, converters, from_db, init_list, (start, end), populators = compiled
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [model._meta.pk.get_db_prep_value(user_id, cursor.db)])
            row = cursor.fetchone()
        if row is None:
            return None
        if converters:
            row = next(iter(compiler.apply_converters([row], converters)))
        user = from_db(alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, user)
        return user


USER_QUERY = UserQuery()
