from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import include, path, reverse

from guanjia.accounts import views as account_views
from guanjia.parks import views as park_views
from guanjia.portal import views as portal_views
from guanjia.projects.opendata import views as open_views


def home(request: HttpRequest) -> HttpResponseRedirect:
    """Enterprise contacts and department handlers work the direct line; staff the ledger."""
    role = getattr(request.user, "role", "")
    if request.user.is_authenticated and role in ("enterprise", "handler"):
        return HttpResponseRedirect(reverse("requests:queue"))
    if request.user.is_authenticated and role == "leader":
        return HttpResponseRedirect(reverse("cockpit:index"))
    return HttpResponseRedirect(reverse("projects:project_list"))


# Open data: no log-in, public fields only, cacheable (the anonymous role's rows in the matrix).
open_data = (
    [
        path("oc4ids/projects.json", open_views.oc4ids_projects, name="oc4ids_projects"),
        path("projects.csv", open_views.projects_csv, name="projects_csv"),
        path("parks.geojson", park_views.open_parks, name="parks_geojson"),
        path("plots.geojson", park_views.open_plots, name="plots_geojson"),
    ],
    "open",
)

urlpatterns = [
    path("", home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("account/", include("guanjia.accounts.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # The public portal (no log-in) and what search engines read first.
    path("invest/", include("guanjia.portal.urls")),
    path("robots.txt", portal_views.robots, name="robots"),
    path("sitemap.xml", portal_views.sitemap, name="sitemap"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("guanjia.api.urls")),
    path("open/", include(open_data)),
    path("open311/v2/", include("guanjia.requests.urls_open311")),
    path("inbox/", include("guanjia.notifications.urls")),
    path("requests/", include("guanjia.requests.urls")),
    path("services/", include("guanjia.servicerecords.urls")),
    path("leads/", include("guanjia.leads.urls")),
    path("parks/", include("guanjia.parks.urls")),
    path("guarantees/", include("guanjia.guarantees.urls")),
    path("approvals/", include("guanjia.approvals.urls")),
    path("taskforces/", include("guanjia.taskforces.urls")),
    path("policies/", include("guanjia.policies.urls")),
    path("targets/", include("guanjia.targets.urls")),
    path("cockpit/", include("guanjia.cockpit.urls")),
    path("reports/", include("guanjia.reports.urls")),
    path("ingest/", include("guanjia.ingest.urls")),
    # The project pages (projects/…) and the Excel pages (projects/export/, import/…).
    path("", include("guanjia.projects.urls")),
    path("enterprises/", include("guanjia.enterprises.urls")),
    path("events/", include("guanjia.events.urls")),
]

# An unreachable database is 503 with Retry-After (guanjia.core.errors), never a 500.
handler500 = "guanjia.core.errors.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
