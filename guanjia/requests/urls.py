from django.urls import path

from . import views

app_name = "requests"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("new/", views.new, name="new"),
    path("export.xlsx", views.export, name="export"),
    path("bulk/", views.bulk, name="bulk"),
    *views.import_pages.urls(),
    path("invite/", views.invite, name="invite"),
    path("invite/<uidb64>/<token>/", views.invite_accept, name="invite_accept"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/step/<slug:step>/", views.step, name="step"),
    path("<int:pk>/files/<int:attachment_pk>/", views.attachment, name="attachment"),
]
