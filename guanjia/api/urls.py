from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _

from .main import api


def not_found(request: HttpRequest) -> JsonResponse:
    """Any other address under /api/v1/ answers in JSON too, never with an HTML page."""
    return JsonResponse({"detail": _("Not found")}, status=404)


urlpatterns = [
    path("", api.urls),
    re_path(r"", not_found),
]
