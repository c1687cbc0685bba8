from django.urls import path, re_path

from questionbank.api import views
from questionbank.api.errors import api_not_found

app_name = "api"

urlpatterns = [
    path("banks/", views.BankListApi.as_view(), name="bank-list"),
    path("questions/", views.QuestionListCreateApi.as_view(), name="question-list"),
    path("questions/bulk/", views.QuestionBulkCreateApi.as_view(), name="question-bulk-create"),
    path("questions/<int:question_id>/", views.QuestionDetailApi.as_view(), name="question-detail"),
    path("flags/", views.FlagListApi.as_view(), name="flag-list"),
    path("flags/<int:flag_id>/decision/", views.FlagDecideApi.as_view(), name="flag-decide"),
    path("check/", views.QuestionCheckApi.as_view(), name="question-check"),
    path("compare/", views.QuestionCompareApi.as_view(), name="question-compare"),
    # Last: any other URL under the API answers a JSON 404, even with DEBUG on,
    # where Django would otherwise show its HTML debug page.
    re_path(r"^.*$", api_not_found, name="not-found"),
]
