from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("parks/", views.parks, name="parks"),
    path("parks/<int:pk>/", views.park, name="park"),
    path("plots/", views.plots, name="plots"),
    path("plots/<int:pk>/", views.plot, name="plot"),
    path("map/", views.land_map, name="map"),
    path("map/data.json", views.land_map_data, name="map_data"),
    path("policies/", views.policies, name="policies"),
    path("policies/<int:pk>/", views.policy, name="policy"),
    path("policies/documents/<int:pk>/", views.policy_document, name="policy_document"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("enquiry/", views.enquiry, name="enquiry"),
    path("language/<str:code>/", views.language, name="language"),
]
