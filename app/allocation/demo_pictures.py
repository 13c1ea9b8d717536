"""Pictures for the allocation demo (app/allocation/demo.py), drawn with Pillow: gradients and
shapes, no text -- a block's exterior, a home's floor plan and interior, an ID card's scan. Each is
deterministic for its seed, so the demo data are the same on every machine."""
import io
import random


def _gradient(size, top, bottom):
    from PIL import Image

    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _jpeg(img):
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82)
    return buf.getvalue()


def _png(img):
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def exterior_photo(seed, size=(960, 600)):
    """实景照片: sky, hills, tower blocks with lit windows, trees."""
    from PIL import ImageDraw

    rnd = random.Random(seed)
    w, h = size
    img = _gradient(size, (92 + rnd.randint(0, 40), 150 + rnd.randint(0, 40), 220), (224, 236, 246))
    d = ImageDraw.Draw(img)
    ground = int(h * 0.78)
    d.polygon([(0, ground), (w * 0.3, h * 0.55), (w * 0.6, ground)], fill=(96, 140, 110))
    d.polygon([(w * 0.4, ground), (w * 0.78, h * 0.5), (w, ground)], fill=(84, 128, 100))
    d.rectangle([0, ground, w, h], fill=(120, 128, 120))
    x = 30
    while x < w - 60:
        bw = rnd.randint(90, 150)
        top = rnd.randint(int(h * 0.12), int(h * 0.45))
        tone = rnd.randint(200, 236)
        d.rectangle([x, top, x + bw, ground], fill=(tone, tone - rnd.randint(8, 30), tone - rnd.randint(20, 50)),
                    outline=(150, 140, 130))
        for wy in range(top + 12, ground - 16, 22):
            for wx in range(x + 10, x + bw - 14, 20):
                lit = rnd.random() < 0.25
                d.rectangle([wx, wy, wx + 11, wy + 13], fill=(250, 226, 140) if lit else (120, 150, 178))
        x += bw + rnd.randint(14, 40)
    for _ in range(9):
        tx = rnd.randint(0, w)
        r = rnd.randint(16, 30)
        d.rectangle([tx - 3, ground - 6, tx + 3, ground + 18], fill=(98, 70, 50))
        d.ellipse([tx - r, ground - 2 * r, tx + r, ground + 4], fill=(54 + rnd.randint(0, 30), 122, 64))
    return _jpeg(img)


def floor_plan(rooms, seed, size=(800, 600)):
    """户型图 of ``rooms`` bedrooms (0: a studio): walls, rooms in soft colours, door arcs, kitchen,
    bathroom, balcony."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    w, h = size
    img = Image.new("RGB", size, (250, 250, 246))
    d = ImageDraw.Draw(img)
    left, top, right, bottom = 60, 60, w - 60, h - 110
    colours = [(222, 235, 247), (253, 236, 214), (226, 240, 217), (240, 226, 240), (255, 245, 204)]
    cols = rooms + 1                     # the bedrooms and the living room
    xs = sorted(rnd.sample(range(left + 120, right - 120), cols - 1))
    xs = [left] + xs + [right]
    mid = rnd.randint(top + 160, bottom - 120)
    for i in range(cols):
        d.rectangle([xs[i], top, xs[i + 1], mid], fill=colours[i % len(colours)])
    d.rectangle([left, mid, right, bottom], fill=(236, 230, 220))
    d.rectangle([left + 20, bottom, right - 160, bottom + 50], fill=(214, 232, 214))
    wall = (60, 60, 66)
    d.rectangle([left, top, right, bottom], outline=wall, width=10)
    for x in xs[1:-1]:
        d.line([x, top, x, mid], fill=wall, width=6)
        d.arc([x - 36, mid - 36, x + 36, mid + 36], 180, 270, fill=wall, width=2)
    d.line([left, mid, right, mid], fill=wall, width=6)
    d.rectangle([right - 130, mid + 10, right - 12, bottom - 12], outline=wall, width=4)   # kitchen
    d.rectangle([left + 14, mid + 14, left + 110, mid + 100], outline=wall, width=3)       # bathroom
    d.ellipse([left + 40, mid + 40, left + 80, mid + 80], outline=wall, width=2)
    d.rectangle([left + 20, bottom + 2, right - 160, bottom + 50], outline=wall, width=3)  # balcony
    for x in xs[:-1]:
        d.line([x + 30, top - 4, x + 90, top - 4], fill=(120, 170, 220), width=8)          # windows
    return _png(img)


def interior_photo(seed, size=(960, 600)):
    """室内照片: a wall, a window with daylight, a wooden floor, furniture shapes."""
    from PIL import ImageDraw

    rnd = random.Random(seed)
    w, h = size
    img = _gradient(size, (246, 242, 232), (214, 206, 190))
    d = ImageDraw.Draw(img)
    horizon = int(h * 0.62)
    d.polygon([(0, h), (w, h), (w * 0.85, horizon), (w * 0.15, horizon)], fill=(176, 134, 92))
    for i in range(1, 9):
        x0 = w * 0.15 + (w * 0.7) * i / 9
        x1 = w * i / 9
        d.line([x0, horizon, x1, h], fill=(150, 110, 74), width=2)
    wx = rnd.randint(int(w * 0.45), int(w * 0.6))
    d.rectangle([wx, 70, wx + 260, horizon - 60], fill=(208, 232, 248), outline=(236, 236, 236), width=10)
    d.line([wx + 130, 70, wx + 130, horizon - 60], fill=(236, 236, 236), width=6)
    sofa = (rnd.randint(90, 140), rnd.randint(110, 150), rnd.randint(140, 170))
    d.rounded_rectangle([70, horizon - 60, 380, horizon + 70], 18, fill=sofa)
    d.rounded_rectangle([60, horizon - 110, 390, horizon - 40], 18, fill=tuple(c - 20 for c in sofa))
    d.rectangle([430, horizon + 30, 600, horizon + 60], fill=(120, 84, 56))
    d.rectangle([w - 136, horizon - 80, w - 124, horizon + 10], fill=(110, 80, 50))
    d.ellipse([w - 170, horizon - 150, w - 90, horizon - 70], fill=(70, 140, 80))
    d.polygon([(w - 150, horizon + 60), (w - 110, horizon + 60), (w - 118, horizon), (w - 142, horizon)],
              fill=(196, 120, 80))
    d.ellipse([w * 0.3, 30, w * 0.3 + 60, 60], fill=(255, 248, 220))
    return _jpeg(img)


def id_card_picture(seed=1, size=(640, 400)):
    """证件证明: a card-like picture (no text, no real data)."""
    from PIL import ImageDraw

    img = _gradient(size, (222, 236, 246), (244, 234, 218))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([16, 16, size[0] - 16, size[1] - 16], 24, outline=(120, 150, 180), width=4)
    d.rectangle([size[0] - 230, 70, size[0] - 60, 290], fill=(200, 210, 220))
    d.ellipse([size[0] - 185, 110, size[0] - 105, 190], fill=(160, 172, 186))
    for i in range(5):
        d.rectangle([60, 80 + i * 46, 60 + 260 - (i * 23 + seed) % 90, 100 + i * 46], fill=(150, 160, 175))
    return _jpeg(img)
