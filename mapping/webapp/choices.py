"""Select boxes and radio buttons that keep a stable value whatever their labels say.

Streamlit sends a select box's *label* between browser and server, not its value, and a
keyed widget keeps its identity when its labels change: after a language switch (or when the
ranks written in a post list move), the browser sends back a label the server no longer knows,
and the widget breaks or falls back. So each choice keeps its value (an id, a code) in
``st.session_state[key]``, and its widget's own key names a digest of the labels shown: new
labels make a new widget, which starts from the kept value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import streamlit as st

T = TypeVar("T")
_GENERATION = "{key}#generation"


def _widget_key(key: str, labels: list[str]) -> str:
    digest = hashlib.sha1("\x1f".join(labels).encode()).hexdigest()[:12]
    return f"{key}@{st.session_state.get(_GENERATION.format(key=key), 0)}@{digest}"


def choose(widget: Callable[..., Any], label: str, options: Sequence[T], key: str,
           format_func: Callable[[T], str] = str, default: T | None = None,
           on_change: Callable[[], None] | None = None, **kwargs: Any) -> T | None:
    """Draw ``widget`` (``st.selectbox``, ``st.radio`` or a container's) over ``options`` and
    return the chosen option, kept in ``st.session_state[key]`` across reruns, pages and
    languages. ``default`` is chosen while nothing is kept (else the first option);
    ``on_change`` runs after the kept value was updated from the widget."""
    options = list(options)
    if not options:
        st.session_state.pop(key, None)
        return None
    labels = [format_func(option) for option in options]
    widget_key = _widget_key(key, labels)
    kept = st.session_state.get(key, default)
    index = options.index(kept) if kept in options else options.index(default) if default in options else 0

    def changed() -> None:
        st.session_state[key] = st.session_state[widget_key]
        if on_change is not None:
            on_change()

    value = widget(label, options, index=index, key=widget_key, on_change=changed,
                   format_func=lambda option: labels[options.index(option)], **kwargs)
    st.session_state[key] = value
    return value


def choose_many(widget: Callable[..., Any], label: str, options: Sequence[T], key: str,
                format_func: Callable[[T], str] = str, **kwargs: Any) -> list[T]:
    """Like :func:`choose` for ``st.multiselect``: the chosen options (none chosen: an empty
    list), kept in ``st.session_state[key]`` across reruns, pages and languages; kept values
    that are no longer among ``options`` are dropped."""
    options = list(options)
    labels = [format_func(option) for option in options]
    widget_key = _widget_key(key, labels)
    kept = [value for value in st.session_state.get(key, []) if value in options]

    def changed() -> None:
        st.session_state[key] = list(st.session_state[widget_key])

    value = widget(label, options, default=kept, key=widget_key, on_change=changed,
                   format_func=lambda option: labels[options.index(option)], **kwargs)
    st.session_state[key] = list(value)
    return list(value)


def set_choice(key: str, value: object) -> None:
    """Choose ``value`` for the choice ``key`` from elsewhere (a table row, a map click): its
    widget is drawn anew at the next run, showing ``value``."""
    st.session_state[key] = value
    generation = _GENERATION.format(key=key)
    st.session_state[generation] = st.session_state.get(generation, 0) + 1


def open_tab(labels: dict[str, str], key: str) -> tuple[str, dict[str, Any]]:
    """Tabs (``labels``: stable id -> label shown) of which only the open one's content needs to
    run: returns the open tab's id, kept in ``st.session_state[key]`` across reruns and
    languages, and each tab's container by id."""
    ids, texts = list(labels), list(labels.values())
    widget_key = _widget_key(key, texts)
    kept = st.session_state.get(key)

    def changed() -> None:
        st.session_state[key] = ids[texts.index(st.session_state[widget_key])]

    containers = st.tabs(texts, key=widget_key, default=labels.get(kept) if kept in labels else None,
                         on_change=changed)
    opened = next((tab_id for tab_id, tab in zip(ids, containers, strict=True) if tab.open), ids[0])
    st.session_state[key] = opened
    return opened, dict(zip(ids, containers, strict=True))
