from django.urls import path

from . import views

app_name = "policies"

urlpatterns = [
    path("", views.library, name="library"),
    path("new/", views.edit, name="new"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("documents/<int:pk>/remove/", views.remove_document, name="remove_document"),
    path("for-you/", views.for_you, name="for_you"),
    path("deliveries/", views.deliveries, name="deliveries"),
    path("deliveries/<int:pk>/", views.match_detail, name="match"),
    path("deliveries/<int:pk>/applied/", views.applied, name="applied"),
    path("deliveries/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("enterprises/<int:pk>/profile/", views.profile, name="profile"),
]
