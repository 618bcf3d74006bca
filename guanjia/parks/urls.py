from django.urls import path

from . import views

app_name = "parks"
urlpatterns = [
    path("", views.park_list, name="list"),
    path("new/", views.park_create, name="park_create"),
    path("<int:pk>/", views.park_detail, name="park_detail"),
    path("<int:pk>/edit/", views.park_edit, name="park_edit"),
    path("<int:pk>/substations/", views.substation_add, name="substation_add"),
    path(
        "<int:pk>/substations/<int:substation_pk>/remove/",
        views.substation_remove,
        name="substation_remove",
    ),
    path("map/", views.land_map, name="map"),
    path("map/data.json", views.land_map_data, name="map_data"),
    path("plots/", views.plot_list, name="plots"),
    path("plots/new/", views.plot_create, name="plot_create"),
    path("plots/export/", views.plot_export, name="plot_export"),
    path("plots/<int:pk>/", views.plot_detail, name="plot_detail"),
    path("plots/<int:pk>/edit/", views.plot_edit, name="plot_edit"),
    path("buildings/", views.building_list, name="buildings"),
    path("buildings/new/", views.building_create, name="building_create"),
    path("buildings/export/", views.building_export, name="building_export"),
    path("buildings/<int:pk>/", views.building_detail, name="building_detail"),
    path("buildings/<int:pk>/edit/", views.building_edit, name="building_edit"),
    path("plots/<int:pk>/steps/<str:name>/", views.step, {"kind": "plot"}, name="plot_step"),
    path(
        "buildings/<int:pk>/steps/<str:name>/",
        views.step,
        {"kind": "building"},
        name="building_step",
    ),
    path("plots/<int:pk>/files/", views.file_add, {"kind": "plot"}, name="plot_file_add"),
    path(
        "buildings/<int:pk>/files/", views.file_add, {"kind": "building"}, name="building_file_add"
    ),
    path("files/<int:pk>/", views.file_view, name="file"),
    path("leads/<int:pk>/matches/", views.lead_matches, name="lead_matches"),
    *views.import_pages.urls(),
]
