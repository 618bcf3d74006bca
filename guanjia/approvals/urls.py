from django.urls import path

from . import views

app_name = "approvals"

urlpatterns = [
    path("project/<int:pk>/add/", views.add, name="add"),
    path("<int:pk>/commitment/", views.commitment, name="commitment"),
    path("<int:pk>/<slug:name>/", views.step, name="step"),
]
