"""Driving the app in Streamlit's test harness (AppTest): a run that must raise nothing, and the
widgets of a choice found by their key."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def run(app: AppTest, page: str | None = None) -> AppTest:
    """Run ``app`` again (on ``page`` when given) and check that no exception was shown."""
    if page:
        app.switch_page(page)
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def keyed(widgets, key: str):
    """The widget of the choice ``key`` (``mapping.webapp.choices`` keys it ``key@…``, naming
    the labels shown)."""
    return next(w for w in widgets if str(w.key).startswith(f"{key}@"))
