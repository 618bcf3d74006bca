from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_create, name="event_create"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("<int:pk>/step/<slug:step>/", views.event_step, name="event_step"),
    path("<int:pk>/guests/", views.guests, name="guests"),
    path("<int:pk>/guests/walk-in/", views.walk_in, name="walk_in"),
    path("<int:pk>/guests/<int:guest_pk>/step/<slug:step>/", views.guest_step, name="guest_step"),
    path("<int:pk>/guests/<int:guest_pk>/attendees/", views.attendee_add, name="attendee_add"),
    path("<int:pk>/guests/<int:guest_pk>/qr.svg", views.guest_qr, name="guest_qr"),
    path("<int:pk>/checkin/<str:token>/", views.checkin, name="checkin"),
    path("<int:pk>/signings/", views.signing_list, name="signing_list"),
    path("<int:pk>/signings/<int:row_pk>/step/<slug:step>/", views.row_step, name="row_step"),
    path("<int:pk>/print/<slug:what>.<slug:fmt>", views.printable, name="printable"),
]
