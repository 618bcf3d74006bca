"""The Excel pages (export, import), included by projects/urls.py under the "projects" namespace."""

from django.urls import path

from . import views_excel

urlpatterns = [
    path("projects/export/", views_excel.export, name="export"),
    *views_excel.ledger_pages.urls(),
    path("import/template/", views_excel.import_template, name="import_template"),
    path("import/<int:pk>/columns/", views_excel.import_mapping, name="import_mapping"),
]
