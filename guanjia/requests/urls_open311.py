"""Open311 GeoReport v2 under /open311/v2/ (see `guanjia.requests.open311`)."""

from django.urls import re_path

from . import open311

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<code>[-\w]+)" + FMT, open311.service_detail, name="service"),
    re_path(r"^requests" + FMT, open311.request_list, name="requests"),
    re_path(r"^requests/(?P<number>[-\w]+)" + FMT, open311.request_detail, name="request"),
    re_path(r"", open311.not_found),
]
