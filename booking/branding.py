"""The clinic's own look: CLINIC_COLOUR (the header's and emails' colour) and CLINIC_LOGO (an SVG or PNG).

Both are checked when the app starts, so a colour white text cannot be read on, or a logo that is not
there, stops the start instead of reaching patients. The colour comes to pages as a small stylesheet of
this origin (/clinic.css): the Content-Security-Policy allows no inline style.
"""

import re
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, send_file

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
TEXT_ON_BRAND = "#ffffff"  # the header's and email buttons' text
AA_NORMAL_TEXT = 4.5  # WCAG 2.1 success criterion 1.4.3
LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}

bp = Blueprint("brand", __name__)


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of an sRGB "#rrggbb" colour, 0 (black) to 1 (white)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1's contrast ratio (L1 + 0.05) / (L2 + 0.05), the lighter luminance on top: 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_brand(config) -> None:
    """Refuse to start on a brand colour white text fails AA on, or a logo that is missing or not SVG/PNG."""
    colour = (config.get("CLINIC_COLOUR") or "").strip()
    if colour:
        if not HEX_COLOUR.fullmatch(colour):
            raise RuntimeError(f'CLINIC_COLOUR must be a colour written "#rrggbb", not {colour!r}.')
        ratio = contrast_ratio(colour, TEXT_ON_BRAND)
        if ratio < AA_NORMAL_TEXT:
            raise RuntimeError(
                f"CLINIC_COLOUR {colour}: white text on it has a contrast of {ratio:.2f}:1, below the "
                f"{AA_NORMAL_TEXT}:1 WCAG AA asks for. Choose a darker colour.")
        config["CLINIC_COLOUR"] = colour.lower()
    logo = (config.get("CLINIC_LOGO") or "").strip()
    if logo:
        path = Path(logo)
        if path.suffix.lower() not in LOGO_TYPES:
            raise RuntimeError(f"CLINIC_LOGO must be an .svg or .png file, not {logo!r}.")
        if not path.is_file():
            raise RuntimeError(f"CLINIC_LOGO {logo!r} is not a file this server can read.")
        config["CLINIC_LOGO"] = str(path.resolve())


@bp.get("/clinic.css")
def colours():
    """The brand colour where the stylesheet has the default green: the header and the main buttons."""
    colour = current_app.config.get("CLINIC_COLOUR")
    if not colour:
        abort(404)
    css = (f".site-header {{ background: {colour}; }}\n"
           f".button:not(.button--secondary):not(.button--quiet):not(.button--danger) "
           f"{{ background: {colour}; border-color: {colour}; }}\n")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/clinic-logo")
def logo():
    path = current_app.config.get("CLINIC_LOGO")
    if not path:
        abort(404)
    return send_file(path, mimetype=LOGO_TYPES[Path(path).suffix.lower()], max_age=3600)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
