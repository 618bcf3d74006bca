from django.urls import path

from . import views

app_name = "taskforces"

urlpatterns = [
    path("projects/<int:pk>/forms/", views.forms, name="forms"),
    path("projects/<int:pk>/meetings/", views.meeting, name="meeting"),
    path("projects/<int:pk>/items/", views.action_item, name="action_item"),
    path("projects/<int:pk>/items/<int:item_pk>/done/", views.complete, name="complete"),
    path("projects/<int:pk>/decisions/", views.decision, name="decision"),
]
