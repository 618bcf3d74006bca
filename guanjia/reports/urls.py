from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("generate/", views.generate, name="generate"),
    path("<int:pk>/<str:fmt>/", views.download, name="download"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar.ics", views.calendar_feed, name="calendar_feed"),
]
