from django.contrib import admin
from django.urls import include, path

from questionbank.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("questionbank.api.urls")),
    path("healthz", healthz, name="healthz"),
    path("", include("questionbank.web.urls")),
]

# JSON bodies for errors under /api/, Django's pages elsewhere.
handler404 = "questionbank.api.errors.not_found"
handler500 = "questionbank.api.errors.server_error"
