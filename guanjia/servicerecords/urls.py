from django.urls import path

from . import views

app_name = "servicerecords"
urlpatterns = [
    path("", views.record_list, name="list"),
    path("new/", views.record_create, name="create"),
    path("fields/", views.dependent_fields, name="dependent_fields"),
    path("<int:pk>/edit/", views.record_edit, name="edit"),
    path("<int:pk>/delete/", views.record_delete, name="delete"),
    path("export/", views.export, name="export"),
    path("figures/", views.figures_page, name="figures"),
    path("figures/export/", views.figures_export, name="figures_export"),
    *views.import_pages.urls(),
    path("import/template/", views.import_template, name="import_template"),
]
