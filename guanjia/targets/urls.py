from django.urls import path

from . import views

app_name = "targets"

urlpatterns = [
    path("", views.board, name="board"),
    path("actual/", views.enter_actual, name="enter_actual"),
    path("target/", views.set_target, name="set_target"),
    path("export.xlsx", views.export, name="export"),
    *views.import_pages.urls(),
    path("ranking/", views.ranking_page, name="ranking"),
    path("ranking.xlsx", views.ranking_export, name="ranking_export"),
    path("recompute/", views.recompute, name="recompute"),
]
