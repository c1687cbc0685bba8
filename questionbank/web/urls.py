from django.contrib.auth import views as auth_views
from django.urls import path

from questionbank.web import views

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Django's LogoutView accepts POST only, so a link cannot sign anyone out.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("questions/<int:pk>/", views.question_detail, name="question-detail"),
    path("questions/<int:pk>/status.json", views.question_status, name="question-status"),
    path("review/", views.review, name="review"),
    path("review/flags/<int:pk>/decide/", views.review_decide, name="review-decide"),
]
