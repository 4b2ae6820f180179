"""Logo uploads: real images are stored under their customer and named in designs; other files, oversized,
damaged and bomb images are typed problems; a customer cannot use someone else's logo."""

import io

from fastapi.testclient import TestClient
from PIL import Image

from manufacturing.accounts.roles import Role
from tests.lasts.last_samples import FIND_LIKE
from tests.web.conftest import signed_in

LAST = FIND_LIKE.with_values(side="right").to_dict()


def image_bytes(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    image = Image.new(mode, size, (122, 75, 36, 255) if mode == "RGBA" else 0)
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client: TestClient, headers: dict[str, str], data: bytes, name: str = "logo.png"):
    return client.post("/api/logos", headers=headers, files={"image": (name, data)})


def test_a_logo_is_stored_read_back_and_used_by_its_customer_only(anonymous: TestClient) -> None:
    alice = signed_in(anonymous.app, "alice@example.com", Role.CUSTOMER)
    bob = signed_in(anonymous.app, "bob@example.com", Role.CUSTOMER)
    png = image_bytes((200, 120))
    stored = upload(anonymous, alice, png)
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert (body["width_px"], body["height_px"], body["media_type"]) == (200, 120, "image/png")
    assert anonymous.get(body["links"]["image"], headers=alice).content == png
    assert anonymous.get(body["links"]["image"], headers=bob).status_code == 404
    logo = {"image_sha256": body["image_sha256"], "piece": "quarter_lateral", "width_mm": 30}
    design = anonymous.post("/api/designs", headers=alice,
                            json={"options": {"style": "derby", "logo": logo}, "last": LAST})  # fmt: skip
    assert design.status_code == 201, design.text
    assert design.json()["options"]["logo"]["image_sha256"] == body["image_sha256"]
    borrowed = anonymous.post("/api/designs", headers=bob,
                              json={"options": {"style": "derby", "logo": logo}, "last": LAST})  # fmt: skip
    assert borrowed.status_code == 404 and "upload it first" in borrowed.json()["detail"]
    assert (
        upload(anonymous, alice, image_bytes((64, 64), "JPEG", "RGB"), "logo.jpg").json()["media_type"] == "image/jpeg"
    )


def test_files_that_are_no_acceptable_logo_are_typed_problems(client: TestClient) -> None:
    staff_for = {"email": "walker@example.com"}

    def post(data: bytes, name: str = "logo.png"):
        return client.post("/api/logos", files={"image": (name, data)}, data=staff_for)

    assert post(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg").status_code == 415
    assert post(image_bytes((64, 64), "GIF", "L"), "logo.gif").status_code == 415
    huge = post(image_bytes((5000, 40), mode="L"))  # a few kB, but wider than any logo we print
    assert huge.status_code == 413 and "4096 px" in huge.json()["detail"]
    png = image_bytes((300, 300))
    damaged = post(png[: len(png) // 2])
    assert damaged.status_code == 422 and damaged.json()["code"] == "input_error"
    assert post(b"").status_code == 422
    assert post(b"\0" * (6 * 1024 * 1024)).status_code == 413
