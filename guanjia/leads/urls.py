from django.urls import path

from . import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list, name="list"),
    path("export/", views.export, name="export"),
    *views.import_pages.urls(),
    path("board/", views.board, name="board"),
    path("figures/", views.figures_page, name="figures"),
    path("new/", views.lead_create, name="create"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/records/new/", views.record_create, name="record_create"),
    path("<int:pk>/records/<int:record_pk>/edit/", views.record_edit, name="record_edit"),
    path("<int:pk>/steps/<str:name>/", views.step, name="step"),
    path("<int:pk>/signing-list/", views.signing_list, name="signing_list"),
    path("visits/", views.visit_list, name="visits"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", views.visit_edit, name="visit_edit"),
    path(
        "visits/<int:pk>/meetings/new/",
        views.meeting_create,
        {"kind": "visit"},
        name="visit_meeting",
    ),
    path("trips/", views.trip_list, name="trips"),
    path("trips/new/", views.trip_create, name="trip_create"),
    path("trips/<int:pk>/", views.trip_detail, name="trip_detail"),
    path("trips/<int:pk>/edit/", views.trip_edit, name="trip_edit"),
    path(
        "trips/<int:pk>/meetings/new/", views.meeting_create, {"kind": "trip"}, name="trip_meeting"
    ),
    path("trips/<int:pk>/report.<str:fmt>", views.trip_report_file, name="trip_report"),
    path("investors/", views.investor_list, name="investors"),
    path("investors/<int:pk>/merge/", views.investor_merge, name="investor_merge"),
]
