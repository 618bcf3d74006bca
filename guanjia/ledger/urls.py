"""What is left of the ledger app's pages: the Excel ones (export, import), under "ledger".
The project, enterprise and event pages live in their apps."""

from django.urls import include, path

app_name = "ledger"
urlpatterns = [
    path("", include("guanjia.ledger.urls_excel")),
]
