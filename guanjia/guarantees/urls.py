from django.urls import path

from . import views

app_name = "guarantees"

urlpatterns = [
    path("", views.unmet, name="unmet"),
    path("export.xlsx", views.export, name="export"),
    path("project/<int:pk>/", views.update, name="update"),
    path("project/<int:pk>/override/", views.override_view, name="override"),
]
