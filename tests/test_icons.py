"""The icon sprite holds every icon the portal names, and only those (static/icons.txt)."""

import re
from pathlib import Path

from django.conf import settings

from cpts_portal.navigation import NAVIGATION

ROOT = Path(settings.BASE_DIR)
ICON_INCLUDE = re.compile(r'_icon\.html" with name="([a-z0-9-]+)"')


def listed_icons() -> set[str]:
    lines = (ROOT / "static" / "icons.txt").read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def test_every_icon_a_template_or_the_menu_names_is_in_the_sprite():
    named = {entry.icon for entry in NAVIGATION}
    for template in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in template.parts or "node_modules" in template.parts:
            continue
        named |= set(ICON_INCLUDE.findall(template.read_text()))

    assert named - listed_icons() == set()


def test_every_listed_icon_exists_in_bootstrap_icons():
    available = {path.stem for path in (ROOT / "node_modules" / "bootstrap-icons" / "icons").glob("*.svg")}

    assert listed_icons() - available == set()


def test_the_built_sprite_has_a_symbol_per_listed_icon():
    sprite = (ROOT / "static" / "vendor" / "icons.svg").read_text()

    assert set(re.findall(r'<symbol id="([a-z0-9-]+)"', sprite)) == listed_icons()
