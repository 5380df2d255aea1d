"""Draw the integration's brand images (an original design: a meter dial with a bolt).

Run inside the project environment: `source scripts/lib.sh && in_env python scripts/draw_brand.py`.
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "custom_components" / "fluvius" / "brand"
TEAL = (0, 122, 135, 255)
LIME = (170, 210, 60, 255)
WHITE = (255, 255, 255, 255)


def draw_icon(size: int) -> Image.Image:
    """A teal rounded square holding a white dial arc and a lime bolt."""
    scale = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, size - 1, size - 1), radius=int(48 * scale), fill=TEAL)
    box = tuple(int(v * scale) for v in (40, 48, 216, 224))
    d.arc(box, start=150, end=390, fill=WHITE, width=int(18 * scale))
    bolt = [(140, 58), (92, 142), (126, 142), (112, 206), (166, 112), (132, 112), (150, 58)]
    d.polygon([(x * scale, y * scale) for x, y in bolt], fill=LIME)
    return img


def draw_logo(height: int) -> Image.Image:
    """The icon followed by the word Fluvius, on a transparent background."""
    icon = draw_icon(height)
    font = ImageFont.load_default(size=int(height * 0.5))
    text = "Fluvius"
    left, top, right, bottom = font.getbbox(text)
    width = height + int(height * 0.15) + (right - left) + int(height * 0.1)
    img = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    img.paste(icon, (0, 0), icon)
    d = ImageDraw.Draw(img)
    y = (height - (bottom - top)) // 2 - top
    d.text((height + int(height * 0.15), y), text, font=font, fill=TEAL)
    return img


def main() -> None:
    """Write icon, logo and their @2x variants."""
    OUT.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(OUT / "icon.png", optimize=True)
    draw_icon(512).save(OUT / "icon@2x.png", optimize=True)
    draw_logo(128).save(OUT / "logo.png", optimize=True)
    draw_logo(256).save(OUT / "logo@2x.png", optimize=True)


if __name__ == "__main__":
    main()
