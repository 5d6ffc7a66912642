"""Bytes for the demo data's media (issue 16), so ``make run`` and the browser tests show a real thumbnail and a
real PDF. With the local ACS fake (``make run``'s default) they are downloaded from it like a customer's media
(:func:`download_from`); without it they are stored through :func:`shared.media.store_bytes`, the path a chat
export's attachments take, with the same checks and write-once blob as a download.

The photo is a 240x160 JPEG drawn once (a phone with a cracked screen) and kept here as base64; the PDF is a
one-page document written by hand. Development only (``devkit`` is not deployed).
"""

from __future__ import annotations

import base64
from typing import Any, Final

import sqlalchemy as sa

from shared import db, media, schema

CRACKED_SCREEN_JPEG: Final = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAA4KCw0LCQ4NDA0QDw4RFiQXFhQUFiwgIRokNC43NjMuMjI6QVNGOj1OPjIySGJJTlZY"
    "XV5dOEVmbWVabFNbXVn/2wBDAQ8QEBYTFioXFypZOzI7WVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZWVlZ"
    "WVlZWVlZWVn/wAARCACgAPADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUF"
    "BAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVW"
    "V1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi"
    "4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAEC"
    "AxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVm"
    "Z2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq"
    "8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDiaKKKoQUUUUAFFFFABRRTo43lkVI1LMxwAKAG0VovFYWB23btPNgZROi/5+vfpTftekf8"
    "+s/5/wD2VAFCir/2vSP+fWf8/wD7Kj7XpH/PrP8An/8AZUAUKKv/AGvSP+fWf8//ALKj7XpH/PrP+f8A9lQBQoq/9r0j/n1n/P8A"
    "+yo+16R/z6z/AJ//AGVAFCir/wBr0j/n1n/P/wCyo+16R/z6z/n/APZUAUKKv/a9I/59Z/z/APsqPtekf8+s/wCf/wBlQBQoq/8A"
    "a9I/59Z/z/8Asqcn9mXrCOEyW0hOF38hv1P9OtAGdRUlxBJbSmOUYYfkR6io6ACiiigAooooAKKKKACiiigAooooAKKKKACtHSgI"
    "47u5ABkhjJXPTof8Kzq0dO/48NR/65f0agDKjhmuWdkBds5Yk88/Wn/YLn/nl/48P8a0vDVnLfXE0EG0yFdwDMBnAJwPerbqyOyO"
    "pVlOCCMEGtoU4yVzGdSUXYwvsFz/AM8v/Hh/jR9guf8Anl/48P8AGtyir9jEj20jD+wXP/PL/wAeH+NH2C5/55f+PD/Gtyr0OmyP"
    "p0t7I6wwrxGX/wCWreg/Xn/65A6MUNVZM5X7Bc/88v8Ax4f40fYLn/nl/wCPD/Gtyij2MRe2kYf2C5/55f8Ajw/xo+wXP/PL/wAe"
    "H+NblFHsYh7aRh/YLn/nl/48P8aPsFz/AM8v/Hh/jW5RR7GIe2kYf2C5/wCeX/jw/wAaZLbTQqGkTaCcdQa36o6t/wAey/74/kam"
    "VJJXKjVbdiS6P2jR7S5k5lzsJ9Rz1/L9TWdWg/8AyLtr/wBdD/Nqz6wNwooooAKKKKACiiigAooooAKKKKACiiigArR07/jw1H/r"
    "l/Rqzq0dO/48NR/65f0agCvo/wDy2/4D/WuqS8h1WOG21JvKmT5UvOvHo47jrzn+prldH/5bf8B/rWlXVTV4I5ajtJli+s5rC5aC"
    "4Xa46EdGHqPaq9aVlqSx2rWV7GZ7RjkAHDRH+8p/Pj/E5dPpAintiLqNrK4IC3WCFHqCOx+v6c4u9tGTa+qI9M037XvnnfyLKHmW"
    "U/yHqf8APoCmragL6dBEhjtoUEcMZJOFHc+/+A61Jqt9FLHDZWQYWdtnaWJzIT1Y/rj6n1wMyhK+rBu2iCiiirJCiiigAooq/aaa"
    "0sAubmQWtnnHnMM5Poq9T/8AWPpSbsCVyhVHVv8Aj2X/AHx/I1u3d7C0BtrK3ENvnLF8M8hHRie3HYep9awtW/49l/3x/I1E/hZc"
    "PiQ9/wDkXbX/AK6H+bVn1oP/AMi7a/8AXQ/zas+uM6wooooAKKKKACiiigAooooAKKKKACiiigArR07/AI8NR/65f0as6tHTv+PD"
    "Uf8Arl/RqAK+j/8ALb/gP9a0qzdH/wCW3/Af61pV10vgRyVfiYVc03UJdPnLKBJE42yxN92RfQ1TorRq+jITsak+nxXFm99pxLRq"
    "f3tueWh/H+JevPp+OMupIJ5badJoXKSIcqw7VrmOHXpHkgC22obdxiz8k57lT2PXj6e5qb8u+xVr7GJRSurI7I6lWU4IIwQaSrJC"
    "pIIJbmdIYULyOcKo71btNNaWAXNzILWzzjzmGcn0Vep/+sfSnz6kqQPbadGba3cYkJOXl92PbjsOOT61N+iHbqyTy7PS/wDj4C3l"
    "4ODDk+XC3+0f4j04HHUVQu7ue9nM1zIZJMYyeMD2HaoKKEuoN9Aqjq3/AB7L/vj+Rq9VHVv+PZf98fyNTU+Fjp/Eh7/8i7a/9dD/"
    "ADas+tB/+Rdtf+uh/m1Z9cZ2BRRRQAUUUUAFFFFABRRRQAUUUUAFFFFABWjp3/HhqP8A1y/o1Z1aOnf8eGo/9cv6NQBX0f8A5bf8"
    "B/rWlWbo/wDy2/4D/WtKuul8COSr8TCiiitSAoq1a2M90C6KFhU4aaQ7UXkdSfqOOtSj+z7bJJkvZMDAwY4wcc8/eODj+70qbjsX"
    "7V/7diW3vFZZYFP+mgZCqOcSe3B5z1/HMc1rbaI4F2gvLsjIjwyxp6MT/H246dQadp91LcSSXlyQLSxHmrBGNibyTsAA6ck84PTm"
    "kt9Rj1OM2erScsxaG5I5iY9j/s/y/IjPVPyL0t5mXd3c97OZrmQySYxk8YHsO1QVYvrOawuWguF2uOhHRh6j2qvWqtbQzd76hRRR"
    "TAKo6t/x7L/vj+Rq9VHVv+PZf98fyNZ1PhZVP4kPf/kXbX/rof5tWfWg/wDyLtr/ANdD/Nqz64zsCiiigAooooAKKKKACiiigAoo"
    "ooAKKKKACtHTv+PDUf8Arl/Rqzq0dO/48NR/65f0agCvo/8Ay2/4D/WtKqvh60e5W5fzIooo9u6SRsAcMQPUk4PABraM9laZW1i+"
    "1S8jzp1+UdR8qfkfmz06V1Un7qOWoveZDa2M90C6KFhU4aaQ7UXkdSfqOOtTB7GzwUX7dMMHc4KxKeD93q3cc4HtVa5u7i7fdczS"
    "SnJI3HIGeuB2/CoK0s3uRdLYnubue6KmeQsEGFXoqjAHAHA6DpUFFaGj28cly09wP9Ftl82T/ax0XnjJPY9eab0QLVk2pf6JplnY"
    "fdl5nnX0Y/dBzyCF6j3rJqW6uJLu5knlOXkYsfb2HtUVJKyBu7NixvIb22XTtSbag/1FwesR9D/s/wCfQjPvrOawuWguF2uOhHRh"
    "6j2qvWxY3kN7bLp2pNtQf6i4PWI+h/2f8+hCa5dUP4tGY9FWL6zmsLloLhdrjoR0Yeo9qr1V7k7BVHVv+PZf98fyNXqo6t/x7L/v"
    "j+RqKnwsqn8SHv8A8i7a/wDXQ/zas+tB/wDkXbX/AK6H+bVn1xnYFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFaOnf8eGo/8AXL+j"
    "VnVo6d/x4aj/ANcv6NQBX0f/AJbf8B/rWlWbo/8Ay2/4D/WtKuul8COSr8TCiiitSArWn/0DRY7fpNe4mk9ox9wenJyex7Gq+kWi"
    "XmoxRynEK5eVj0Cjk5PYds+9Q39299ezXLjBkbOPQdh+AxUvV2GtFcr0UUVQgooooA2LG8hvbZdO1JtqD/UXB6xH0P8As/59CM++"
    "s5rC5aC4Xa46EdGHqPaq9bFjeQ3tsunak21B/qLg9Yj6H/Z/z6EQ1y6or4tGY9UdW/49l/3x/I1rX1nNYXLQXC7XHQjow9R7Vk6t"
    "/wAey/74/kaU3eDHDSSHv/yLtr/10P8ANqz60H/5F21/66H+bVn1xnWFFFFABRRRQAUUUUAFFFFABRRRQAUUUUAFaOnf8eGo/wDX"
    "L+jVnVo6d/x4aj/1y/o1AFfR/wDlt/wH+taVZuj/APLb/gP9a0q66XwI5KvxMKKKsWFo99ew2yHBkbGfQdz+AzWj0I3L3/IP0X0u"
    "b781iH6jcfqCBWTV7V7tLzUZZIhiFcJEo6BRwMDsO+PeqNKO12OW4UUUVQgooooAKKKKANixvIb22XTtSbag/wBRcHrEfQ/7P+fQ"
    "jB8R2c1h+4uF2uHGCOjDB5HtU1V9buZp7KCOWVnSE7UBP3Rz/n8B6VlNWTsaQd2rjH/5F21/66H+bVn1oP8A8i7a/wDXQ/zas+uQ"
    "6gooooAKKKKACiiigAooooAKKKKACiiigArR07/jw1H/AK5f0as6tLSx5lvewrzJJF8o9eCP6igCto//AC2/4D/WtKsG2untt2wK"
    "d2M5qf8AtSf+7H+R/wAa6IVIxjZmE6cnK6NetaD/AEDRZLjpNe5hj9ox98+nJwOx7iuS/tSf+7H+R/xo/tSf+7H+R/xpurFkqlJG"
    "vRWR/ak/92P8j/jR/ak/92P8j/jT9tEXspGvRWR/ak/92P8AI/40f2pP/dj/ACP+NHtoh7KRr0Vkf2pP/dj/ACP+NH9qT/3Y/wAj"
    "/jR7aIeyka9FZH9qT/3Y/wAj/jR/ak/92P8AI/40e2iHspGvVHVv+PZf98fyNVv7Un/ux/kf8aiuLyS4jCOqAA54BqZ1YuLSKjTk"
    "nc0X/wCRdtf+uh/m1Z9aEw8vQbON+HZi4Htyf6is+uc6AooooAKKKKACiiigAooooAKKKKACiiigAqSCZ7eZZY8blPGajooA0ZYb"
    "HUXMqy/ZZjy4YDafU/5/Kmf2Pbf9BKH8h/8AFVRooAvf2Pbf9BKH8h/8VR/Y9t/0EofyH/xVUaKAL39j23/QSh/If/FUf2Pbf9BK"
    "H8h/8VVGigC9/Y9t/wBBKH8h/wDFUf2Pbf8AQSh/If8AxVUaKAL39j23/QSh/If/ABVH9j23/QSh/If/ABVUaKAL39j23/QSh/If"
    "/FUf2Pbf9BKH8h/8VVGigC9/Y9t/0EofyH/xVOSy0+zYSTXIuSDlUQDB+vP+H41n0UAT3l093OZHAHGAB2FQUUUAFFFFABRRRQAU"
    "UUUAf//Z"
)

INVOICE_PDF: Final = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 144]/Contents 4 0 R"
    b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    b"4 0 obj<</Length 58>>stream\nBT /F1 14 Tf 20 100 Td (Factura de compra - demo) Tj ET\nendstream endobj\n"
    b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

DEMO_MEDIA: Final = {"demo-media-1": CRACKED_SCREEN_JPEG, "demo-media-2": INVOICE_PDF}
CONTENT_TYPES: Final = {"demo-media-1": "image/jpeg", "demo-media-2": "application/pdf"}


def _pending(url: str | None = None) -> list[Any]:
    m = schema.media
    return list(db.read(lambda conn: conn.execute(sa.select(m.c.Id, m.c.AcsMediaId).where(
        m.c.AcsMediaId.in_(list(DEMO_MEDIA)), m.c.State == "pending")).all(), url))


def store(url: str | None = None) -> dict[str, str]:
    """Store the demo's media items still pending; outcome per demo media id."""
    return {row.AcsMediaId: media.store_bytes(row.Id, [DEMO_MEDIA[row.AcsMediaId]], source="acs")
            for row in _pending(url)}


def download_from(fake: Any) -> dict[str, str]:
    """Give the local ACS fake (``devkit/fake_acs.py``) the demo's media under the demo's media ids, then download
    the pending ones through :func:`shared.media.process`: the real SDK, the fake's HTTPS and HMAC, the checks and
    the write-once blob of a live download. Outcome per demo media id."""
    for media_id, data in DEMO_MEDIA.items():
        fake.add_media(data, CONTENT_TYPES[media_id], media_id=media_id)
    return {row.AcsMediaId: media.process(row.Id) for row in _pending()}
