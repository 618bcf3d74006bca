from django.urls import path

from . import views

app_name = "ingest"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.review, name="review"),
    path("proposal/<int:pk>/accept/", views.accept, name="accept"),
    path("proposal/<int:pk>/edit/", views.edit, name="edit"),
    path("proposal/<int:pk>/reject/", views.reject, name="reject"),
]
