"""The Excel pages (export, import), included by projects/urls.py under the "projects" namespace."""

from django.urls import path

from . import views_excel

urlpatterns = [
    path("projects/export/", views_excel.export, name="export"),
    path("import/", views_excel.import_start, name="import_start"),
    path("import/template/", views_excel.import_template, name="import_template"),
    path("import/<int:pk>/", views_excel.import_job, name="import_job"),
    path("import/<int:pk>/progress/", views_excel.import_progress, name="import_progress"),
    path("import/<int:pk>/commit/", views_excel.import_commit, name="import_commit"),
    path("import/<int:pk>/columns/", views_excel.import_mapping, name="import_mapping"),
]
