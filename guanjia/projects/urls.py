"""The project pages under projects/, and the Excel pages (projects/export/, import/…).

Mounted at the site root so that both keep their paths under one "projects" namespace."""

from django.urls import include, path

from . import views

app_name = "projects"

project_patterns = [
    path("", views.project_list, name="project_list"),
    path("new/", views.project_create, name="project_create"),
    path("stalled/", views.stalled_list, name="stalled_list"),
    path("stalled/export/", views.stalled_export, name="stalled_export"),
    path("<int:pk>/", views.project_detail, name="project_detail"),
    path("<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("<int:pk>/transition/", views.project_transition, name="project_transition"),
]

urlpatterns = [
    path("projects/", include(project_patterns)),
    # The Excel pages (export, import) live in urls_excel.py.
    path("", include("guanjia.projects.urls_excel")),
]
