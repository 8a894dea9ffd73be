"""The user of a session, looked up by id on every signed-in request from SQL compiled once."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from prm.accounts.models import _USER_BY_PK, User

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _fields(user: User) -> dict:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


@pytest.mark.parametrize("as_text", [False, True])
def test_get_by_pk_gives_the_user_with_every_field(as_text, django_assert_num_queries):
    UserFactory()
    user = UserFactory(vendor_role=User.VendorRole.CHANNEL_MANAGER)
    expected = _fields(User.objects.filter(pk=user.pk).get())
    pk = str(user.pk) if as_text else user.pk
    with django_assert_num_queries(1):
        found = User.objects.get(pk=pk)
    assert type(found) is User
    assert _fields(found) == expected
    assert found._state.adding is False
    assert found._state.db == "default"
    assert "default" in _USER_BY_PK._compiled


@pytest.mark.parametrize("pk", [0, 987_654_321, "987654321", 2**70])
def test_get_by_an_unknown_pk_raises_does_not_exist(pk):
    UserFactory()
    with pytest.raises(User.DoesNotExist, match="User matching query does not exist"):
        User.objects.get(pk=pk)


def test_other_lookups_run_as_django_runs_them():
    user = UserFactory(email="someone@example.test")
    assert User.objects.get(email="someone@example.test") == user
    assert User.objects.get(pk=user.pk, is_active=True) == user
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=user.pk, is_active=False)
    with pytest.raises(ValueError, match="expected a number"):
        User.objects.get(pk="not a number")


def test_a_signed_in_request_finds_its_user_and_a_deleted_user_is_signed_out():
    user = UserFactory()
    client = Client()
    client.force_login(user)
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.get("/notifications/").status_code == 200
    user.delete()
    response = client.get("/notifications/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
