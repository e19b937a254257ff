"""One-off: draw the example stories' lead images into src/feeds/web/static/images/.

The example articles declare lead images at ``/static/images/{id}.jpg`` with an exact
width and height; this script draws one JPEG per such story at exactly that size: a
gradient in the story's section colour, a few hills and a sun, and the section's name.
The results are committed, so nobody needs to run this again unless an example's image
changes.

It needs Pillow, which is *not* a dependency of feeds (install it by hand:
``.venv/bin/pip install pillow``), and nothing imports this file. Run it from the
repository root: ``.venv/bin/python examples/make_images.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "examples" / "articles"
IMAGES = ROOT / "src" / "feeds" / "web" / "static" / "images"
MAX_BYTES = 60_000
PREFIX = "/static/images/"

# One colour per section (RGB), light and dark ends of the gradient.
SECTION_COLOURS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "politics": ((214, 226, 240), (38, 70, 122)),
    "economy": ((246, 226, 196), (176, 96, 22)),
    "culture": ((236, 214, 236), (116, 46, 120)),
    "science": ((206, 236, 240), (18, 104, 120)),
    "sport": ((214, 240, 210), (40, 120, 52)),
    "society": ((240, 220, 214), (150, 52, 40)),
}
DEFAULT_COLOURS = ((228, 228, 228), (70, 70, 70))


def documents() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(ARTICLES.iterdir()):
        if path.suffix == ".json":
            found.append(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix == ".ndjson":
            lines = path.read_text(encoding="utf-8").splitlines()
            found.extend(json.loads(line) for line in lines if line.strip())
    return found


def mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    r, g, b_ = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return (r, g, b_)


def draw(story_id: str, section: str, width: int, height: int) -> Image.Image:
    light, dark = SECTION_COLOURS.get(section, DEFAULT_COLOURS)
    seed = hashlib.sha256(story_id.encode()).digest()
    # Sky: a vertical gradient, one row at a time (cheap, and JPEG compresses it well).
    image = Image.new("RGB", (width, height))
    pen = ImageDraw.Draw(image)
    for y in range(height):
        pen.line([(0, y), (width, y)], fill=mix(light, dark, 0.15 + 0.5 * y / height))
    # A sun somewhere in the upper half, placed by the story id.
    radius = height * (0.08 + seed[0] / 255 * 0.06)
    cx = width * (0.15 + seed[1] / 255 * 0.7)
    cy = height * (0.18 + seed[2] / 255 * 0.2)
    pen.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=mix(light, dark, 0.02))
    # Three ranges of hills, darker towards the front.
    for layer in range(3):
        base = height * (0.55 + 0.13 * layer)
        amplitude = height * (0.12 - 0.03 * layer)
        phase = seed[3 + layer] / 255 * width
        points = [(0.0, float(height))]
        steps = 24
        for i in range(steps + 1):
            x = width * i / steps
            wave = ((x + phase) % (width / 2)) / (width / 2)
            peak = 1 - abs(2 * wave - 1)
            points.append((x, base - amplitude * peak))
        points.append((float(width), float(height)))
        pen.polygon(points, fill=mix(light, dark, 0.55 + 0.2 * layer))
    image = image.filter(ImageFilter.GaussianBlur(radius=max(1, width // 600)))
    # The section's name, so a reader can tell the placeholder is one.
    label = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(14, height // 14))
    label.text((width * 0.04, height * 0.9), section.upper(), fill=light, font=font, anchor="ls")
    return image


def save_small(image: Image.Image, target: Path) -> int:
    """Save as JPEG, lowering the quality until it fits in MAX_BYTES; returns the size."""
    for quality in range(80, 9, -5):
        image.save(target, "JPEG", quality=quality, optimize=True, progressive=True)
        size = target.stat().st_size
        if size <= MAX_BYTES:
            return size
    raise SystemExit(f"{target.name}: cannot get under {MAX_BYTES} bytes")


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    for doc in documents():
        image = doc.get("image")
        if not image:
            continue
        path = urlsplit(image["url"]).path
        if not path.startswith(PREFIX):
            continue
        target = IMAGES / path.removeprefix(PREFIX)
        picture = draw(doc["id"], doc.get("section") or "", image["width"], image["height"])
        size = save_small(picture, target)
        print(f"{target.relative_to(ROOT)}: {image['width']}x{image['height']}, {size} bytes")


if __name__ == "__main__":
    main()
