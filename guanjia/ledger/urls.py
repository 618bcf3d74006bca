from django.urls import include, path

app_name = "ledger"
urlpatterns = [
    # The web helper fills these in; the Excel pages live in urls_excel.py.
    path("", include("guanjia.ledger.urls_excel")),
]
