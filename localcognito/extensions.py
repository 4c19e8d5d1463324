"""The stand-in's state, reached from a view: `server.create_app` stores it with `init_stand_in`,
and every view asks `stand_in()` for it (as the portal's views ask `app.extensions.settings()`)."""

from __future__ import annotations

from flask import Flask, current_app

from .state import StandIn

STAND_IN_EXTENSION = "localcognito.state"


def init_stand_in(app: Flask, state: StandIn) -> None:
    app.extensions[STAND_IN_EXTENSION] = state


def stand_in() -> StandIn:
    """The `StandIn` of the app serving this request."""
    return current_app.extensions[STAND_IN_EXTENSION]
