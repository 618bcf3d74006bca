from django.urls import include, path

from . import views, views_stalled

app_name = "ledger"
urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/stalled/", views_stalled.stalled_list, name="stalled_list"),
    path("projects/stalled/export/", views_stalled.stalled_export, name="stalled_export"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/transition/", views.project_transition, name="project_transition"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/options/", views.enterprise_options, name="enterprise_options"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    # The Excel pages (export, import) live in guanjia/projects/urls_excel.py.
    path("", include("guanjia.projects.urls_excel")),
]
