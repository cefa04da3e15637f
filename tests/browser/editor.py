"""Gestures on the editor page, in the words of the tests (drag a widget, connect, wait for the save)."""
import re

from playwright.sync_api import Page, expect

SAVED = re.compile(r"Draft saved|Published")
MOD = "Control"


def open_flow(page: Page, flow_id: str) -> None:
    page.goto(f"/flows/{flow_id}")
    expect(page.locator(".react-flow__node").first).to_be_visible()


def node(page: Page, name: str):
    return page.locator(f'.react-flow__node[data-id="{name}"]')


def center(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box, f"{locator} is not on screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def drop_widget(page: Page, widget_type: str, x: float, y: float) -> None:
    """Drag a widget from the palette to a point of the canvas (relative to its top-left)."""
    page.locator(f'.palette-item[data-type="{widget_type}"]').drag_to(
        page.locator(".react-flow__pane"), target_position={"x": x, "y": y})


def connect(page: Page, source: str, output_label: str, target: str) -> None:
    """Drag from a widget's output (by its label) onto another widget."""
    exact = re.compile(f"^{re.escape(output_label)}$")
    handle = node(page, source).locator(".port", has_text=exact).locator(".react-flow__handle")
    sx, sy = center(handle)
    tx, ty = center(node(page, target))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=5)
    page.mouse.move(tx, ty, steps=5)
    page.mouse.up()


def wait_saved(page: Page) -> None:
    expect(page.get_by_test_id("save-status")).to_have_text(SAVED, timeout=5000)


def names_on_canvas(page: Page) -> set[str]:
    return set(page.locator(".react-flow__node").evaluate_all("els => els.map(e => e.dataset.id)"))


def press(page: Page, keys: str) -> None:
    """Press a shortcut with the focus on the canvas (not in a form field)."""
    page.keyboard.press(keys.replace("Mod", MOD))


def rename_selected(page: Page, new_name: str) -> None:
    """Type a new name in the inspector's "Widget name" box and confirm it."""
    box = page.locator("#insp-name")
    box.fill(new_name)
    box.press("Enter")
    expect(node(page, new_name)).to_be_visible()


def fill_field(page: Page, label: str, text: str, within=None) -> None:
    """Fill an inspector field by its label and leave it (the form commits on blur)."""
    scope = within or page.locator(".inspector-panel")
    field = scope.get_by_label(re.compile(f"^{re.escape(label)}( \\*)?$"))
    field.fill(text)
    field.blur()
