"""Signing in through the real forms, the second factor included."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from comments import clock
from tests.conftest import csrf_token_from
from tests.factories import DEFAULT_PASSWORD


def current_code(user, *, later: int = 0) -> str:
    """The user's TOTP code at the server's clock, ``later`` time steps on (a code works only once)."""
    return pyotp.TOTP(user.totp_secret).at(clock.now() + timedelta(seconds=30 * later))


def sign_in(client, user, *, password: str = DEFAULT_PASSWORD, code_step: int = 0):
    """POST the login form (and the second factor when needed); return the last response."""
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post("/auth/login", data={"csrf_token": token, "email": user.email, "password": password})
    if response.status_code == 303 and response.headers["Location"].endswith("/auth/second-factor"):
        token = csrf_token_from(client.get("/auth/second-factor").get_data(as_text=True))
        response = client.post(
            "/auth/second-factor", data={"csrf_token": token, "code": current_code(user, later=code_step)}
        )
    return response


def sign_out(client):
    token = csrf_token_from(client.get("/auth/account").get_data(as_text=True))
    return client.post("/auth/logout", data={"csrf_token": token})
