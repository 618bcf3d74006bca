"""What is left of the ledger app's pages: the Excel ones (export, import), under "ledger".
The project, enterprise and event pages live in their apps."""

from django.urls import include, path

app_name = "ledger"
urlpatterns = [
    # The Excel pages (export, import) live in guanjia/projects/urls_excel.py.
    path("", include("guanjia.projects.urls_excel")),
]
