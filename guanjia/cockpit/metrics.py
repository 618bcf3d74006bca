"""The rollups' figures for /metrics (registered in apps.py with guanjia.core.metrics)."""

from collections.abc import Iterator

from django.utils import timezone

from guanjia.core.metrics import Figure

from .models import RefreshState


def rollups() -> Iterator[Figure]:
    now = timezone.now()
    for key, refreshed_at, seconds in RefreshState.objects.values_list(
        "key", "refreshed_at", "seconds"
    ):
        if refreshed_at is None:
            continue
        yield (
            "guanjia_rollup_age_seconds",
            "Seconds since the cockpit's rollups were last recomputed.",
            {"rollup": key},
            max(0.0, (now - refreshed_at).total_seconds()),
        )
        yield (
            "guanjia_rollup_refresh_seconds",
            "How long the last recomputation of the rollups took.",
            {"rollup": key},
            float(seconds),
        )
