"""The keyboard on a phone's workshop test: Tab to the first radio button, Space, ArrowDown."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.tour.shooter import Shooter, shown_path

_ACTIVE = """() => { const el = document.activeElement;
  return {tag: el.tagName, type: el.type || '', name: el.name || '',
          text: (el.textContent || '').trim().slice(0, 20)}; }"""
_FOCUS = """() => { const el = document.activeElement, st = getComputedStyle(el);
  const label = el.closest('label'), ls = label && getComputedStyle(label);
  const line = (x) => `${x.outlineStyle} ${x.outlineWidth} ${x.outlineColor}`;
  return {visible: el.matches(':focus-visible'), outline: line(st),
          label: ls ? `${line(ls)} / shadow ${ls.boxShadow}` : ''}; }"""
_AFTER = """() => { const el = document.activeElement;
  const group = [...document.querySelectorAll(`input[name="${el.name}"]`)];
  return {name: el.name, index: group.indexOf(el), checked: el.checked,
          visible: el.matches(':focus-visible')}; }"""


def keyboard_check(page: Page, s: Shooter) -> None:
    """Tab from the top of a phone's test page to the first radio button, select it with Space,
    move with the arrow key; the focus must be visible (:focus-visible with an outline). The
    question's box is kept as 75-phone-test-keyboard-<width>.png."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    tabs, info = 0, {"type": ""}
    while info["type"] != "radio":
        if tabs == 30:
            s.problems.append(f"keyboard: no radio button within 30 Tabs (last: {info})")
            return
        page.keyboard.press("Tab")
        tabs += 1
        info = page.evaluate(_ACTIVE)
    focus = page.evaluate(_FOCUS)
    name = page.locator("input:focus").get_attribute("name")
    page.keyboard.press("Space")
    space = page.evaluate("document.activeElement.checked")
    page.keyboard.press("ArrowDown")
    after = page.evaluate(_AFTER)
    box = page.locator("input:focus").locator("xpath=ancestor::fieldset[1]")
    box.scroll_into_view_if_needed()
    shot = s.out / f"75-phone-test-keyboard-{s.width}.png"
    box.screenshot(path=str(shot))
    print(
        f"keyboard ({s.width} px): {tabs} Tab(s) to the first radio ({name}); :focus-visible "
        f"{focus['visible']}, outline {focus['outline']}; label {focus['label'] or '-'}; "
        f"Space checked it: {space}; ArrowDown moved to option {after['index'] + 1} of the same "
        f"group ({after['name'] == name}), checked {after['checked']}, focus visible "
        f"{after['visible']}  -> {shown_path(shot)}"
    )
    if not (
        focus["visible"] and focus["outline"].split()[0] != "none" and space and after["checked"]
    ):
        s.problems.append(f"keyboard: focus or selection by keyboard failed ({focus}, {after})")
