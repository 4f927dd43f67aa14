"""One Streamlit browser session driven over its websocket, without a browser: what a delegate's
laptop sends the app server and receives from it, so that a load bench measures the server and
not thirty page renderers sharing its cores.

The session speaks Streamlit's own protocol (``BackMsg``/``ForwardMsg`` protocol buffers on
``/_stcore/stream``) as the page does: each run sends every widget value the user has set, the
server runs the page's script and streams its elements (``delta`` messages, placed by their
``delta_path``), and ``script_finished`` ends the run. Widgets are found by their kind and their
label, as a user finds them on the page.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import DoubleArray
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.RootContainer_pb2 import SIDEBAR
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
MAX_MESSAGE_BYTES = 256 * 1024 * 1024  # a map's HTML travels in one element


class RunFailedError(RuntimeError):
    """The page's script raised (its exception as the page would show it) or did not compile."""


@dataclass
class Placed:
    """An element of the page and where it is: the root container (0 main, 1 sidebar) first."""

    path: tuple[int, ...]
    element: Element

    @property
    def kind(self) -> str:
        return self.element.WhichOneof("type") or ""

    @property
    def widget(self) -> Any:
        return getattr(self.element, self.kind)

    @property
    def in_sidebar(self) -> bool:
        return self.path[0] == SIDEBAR


@dataclass
class Session:
    """A browser tab on ``url`` (``http://host:port/``): its own server-side session."""

    url: str
    elements: dict[tuple[int, ...], Placed] = field(default_factory=dict)
    values: dict[str, WidgetState] = field(default_factory=dict)  # what the user has set, by widget id
    page: str = ""  # the current page's script hash ("" until the server names it)
    _socket: Any = None

    async def open(self) -> float:
        """Connect and run the page once; the seconds it took."""
        address = self.url.replace("http", "ws", 1) + "_stcore/stream"
        self._socket = await websockets.connect(
            address, subprotocols=["streamlit"],  # type: ignore[list-item]
            max_size=MAX_MESSAGE_BYTES, open_timeout=None, ping_timeout=None)
        return await self.run()

    async def close(self) -> None:
        await self._socket.close()

    async def run(self, *changes: WidgetState) -> float:
        """Set ``changes`` (a trigger, such as a button's click, counts for this run only) and run
        the page until its script has finished, following any rerun it asks for; the seconds."""
        for change in changes:
            if not change.HasField("trigger_value"):
                self.values[change.id] = change
        start = time.perf_counter()
        message = BackMsg()
        message.rerun_script.page_script_hash = self.page
        states = [*self.values.values(), *(c for c in changes if c.HasField("trigger_value"))]
        message.rerun_script.widget_states.widgets.extend(states)
        await self._socket.send(message.SerializeToString())
        while not await self._receive():
            pass
        return time.perf_counter() - start

    async def _receive(self) -> bool:
        """Take one message from the server; whether the run it belongs to has finished."""
        message = ForwardMsg()
        message.ParseFromString(await self._socket.recv())
        kind = message.WhichOneof("type")
        if kind == "new_session":  # a run starts: the page is drawn anew
            self.page = message.new_session.page_script_hash
            self.elements.clear()
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            placed = Placed(tuple(message.metadata.delta_path), message.delta.new_element)
            self.elements[placed.path] = placed
            if placed.kind == "exception":
                raise RunFailedError("\n".join([f"{placed.widget.type}: {placed.widget.message}",
                                                 *placed.widget.stack_trace]))
        elif kind == "script_finished":
            if message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise RunFailedError("the page did not compile")
            return message.script_finished in FINISHED
        elif kind == "ref_hash":
            raise RunFailedError("the server sent a cached message this session never cached")
        return False

    def find(self, kind: str, label: str | None = None, sidebar: bool | None = None) -> list[Placed]:
        """The page's elements of ``kind`` (e.g. ``slider``, ``button``, ``component_instance``)
        with that exact label, in page order."""
        found = [p for p in self.elements.values() if p.kind == kind
                 and (label is None or getattr(p.widget, "label", None) == label)
                 and (sidebar is None or p.in_sidebar == sidebar)]
        return sorted(found, key=lambda p: p.path)

    def one(self, kind: str, label: str | None = None) -> Placed:
        found = self.find(kind, label)
        if len(found) != 1:
            shown = sorted({getattr(p.widget, "label", p.kind) for p in self.elements.values()})
            raise LookupError(f"{len(found)} {kind} labelled {label!r} on the page; it shows: {shown}")
        return found[0]

    def texts(self) -> str:
        """Every text, alert and caption on the page, one per line."""
        return "\n".join(p.widget.body for p in self.elements.values()
                         if p.kind in ("markdown", "alert", "text", "heading") and hasattr(p.widget, "body"))


def text(placed: Placed, value: str) -> WidgetState:
    """A text input or area typed in."""
    return WidgetState(id=placed.widget.id, string_value=value)


def toggled(placed: Placed, value: bool = True) -> WidgetState:
    """A checkbox or toggle switched."""
    return WidgetState(id=placed.widget.id, bool_value=value)


def slid(placed: Placed, value: float) -> WidgetState:
    """A slider moved to ``value``."""
    return WidgetState(id=placed.widget.id, double_array_value=DoubleArray(data=[value]))


def clicked(placed: Placed) -> WidgetState:
    """A button (or a form's submit button) clicked."""
    return WidgetState(id=placed.widget.id, trigger_value=True)


def component_value(placed: Placed, value: dict) -> WidgetState:
    """What a component's page sends back, e.g. streamlit-folium's ``{"last_clicked": …}``."""
    return WidgetState(id=placed.widget.id, json_value=json.dumps(value))

