"""Types the pages of every app share."""

from django.http import HttpRequest

from guanjia.accounts.models import User


class AuthedRequest(HttpRequest):
    """A request behind `login_required`: its user is a real `User`."""

    user: User
