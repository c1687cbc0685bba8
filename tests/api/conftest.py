import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_bank, make_user


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle history lives in the default cache, which outlives each test.
    cache.clear()
    yield
    cache.clear()


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def teacher(db):
    return make_user("teacher")


@pytest.fixture
def bank(teacher):
    return make_bank("Geography", members=[teacher])


@pytest.fixture
def api_client(teacher) -> APIClient:
    return token_client(teacher)


@pytest.fixture
def outsider(db):
    """A teacher of another bank."""
    return make_user("outsider")


@pytest.fixture
def other_bank(outsider):
    return make_bank("Chemistry", members=[outsider])


def grant_review(user) -> None:
    user.user_permissions.add(
        Permission.objects.get(
            codename="change_duplicateflag", content_type__app_label="similarity"
        )
    )


@pytest.fixture
def reviewer(bank):
    user = make_user("reviewer")
    grant_review(user)
    bank.members.add(user)
    return user


@pytest.fixture
def reviewer_client(reviewer) -> APIClient:
    return token_client(reviewer)
