from django.urls import path

from . import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("export/", views.export, name="export"),
    path("board/", views.board, name="board"),
    path("figures/", views.figures_page, name="figures"),
    path("new/", views.lead_create, name="create"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/records/new/", views.record_create, name="record_create"),
    path("<int:pk>/records/<int:record_pk>/edit/", views.record_edit, name="record_edit"),
    path("<int:pk>/steps/<str:name>/", views.step, name="step"),
    path("investors/", views.investor_list, name="investors"),
    path("investors/<int:pk>/merge/", views.investor_merge, name="investor_merge"),
]
