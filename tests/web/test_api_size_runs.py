"""The pattern-maker's size runs and fit report over HTTP on a real order (the FIND foot through the pipeline):
the pair's last graded over two sizes, every piece of both sizes in one ASTM DXF that the reader reads back,
the run's PLT, SVG, PDF and report; made once, then read back; and the problems on the way."""

from __future__ import annotations

import io

import ezdxf
from fastapi.testclient import TestClient
from lxml import etree

from configurator.styles.library import STYLES
from geometry.exchange.astm_dxf import read_astm_dxf
from manufacturing.pipeline.local import run_pipeline_in_process
from tests.web.floor import place_order


def test_a_size_run_of_the_pairs_design_is_made_once_and_read_back(
    client: TestClient, find_template_bytes: bytes
) -> None:
    placed = place_order(client, find_template_bytes)
    number = placed["order_number"]
    early = client.post(f"/api/orders/{number}/size-runs", json={"sizes": "41,42"})
    assert early.status_code == 409 and "no fitted last" in early.json()["detail"]
    run_pipeline_in_process(client.app.state.resources, placed["run_ids"][0])

    made = client.post(f"/api/orders/{number}/size-runs", json={"sizes": "41,42", "side": "left"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["sizes"] == [41.0, 42.0] and body["side"] == "left" and body["first"] is True
    files = {f["format"]: f for f in body["files"]}
    assert set(files) == {"dxf", "cutter.dxf", "plt", "svg", "pdf", "report.json"}
    pieces = len(STYLES["derby"]().pieces)

    dxf = client.get(files["dxf"]["url"]).content
    read = read_astm_dxf(dxf, files["dxf"]["filename"])
    assert read.pattern.sizes == ("41", "42") and len(read.pattern.pieces) >= 2 * pieces
    assert not ezdxf.read(io.StringIO(dxf.decode("cp1252"))).audit().has_errors
    assert client.get(files["plt"]["url"]).content.startswith(b"IN;")
    assert client.get(files["pdf"]["url"]).content.startswith(b"%PDF")
    assert etree.fromstring(client.get(files["svg"]["url"]).content).tag.endswith("svg")
    report = client.get(files["report.json"]["url"]).json()
    assert report == body["report"]
    assert [s["label"] for s in report["sizes"]] == ["41", "42"] and report["last"]["source"] == "fitted"
    assert (
        report["sizes"][1]["last"]["targets"]["foot_length_mm"]
        > report["sizes"][0]["last"]["targets"]["foot_length_mm"]
    )
    assert all(len(s["pieces"]) >= pieces for s in report["sizes"])

    again = client.post(f"/api/orders/{number}/size-runs", json={"sizes": "42,41", "side": "left"})  # the same run
    assert again.status_code == 200 and again.json()["first"] is False
    assert [f["sha256"] for f in again.json()["files"]] == [f["sha256"] for f in body["files"]]

    lasts = client.get(f"/api/orders/{number}/lasts").json()["pairs"][0]
    assert lasts["state"] == "succeeded" and lasts["revisions"] == []
    kinds = {f["kind"] for f in lasts["files"]}
    assert {"last.params.json", "last.fit-report.svg", "last.json"} <= kinds
    fit = lasts["record"]["fit_report"]
    assert fit["regions"] and "toe_room_mm" in fit and lasts["record"]["max_error_mm"] < 1.0


def test_size_run_problems_are_named(client: TestClient, find_template_bytes: bytes) -> None:
    placed = place_order(client, find_template_bytes)
    url = f"/api/orders/{placed['order_number']}/size-runs"
    for body, words in (
        ({"sizes": "46-38"}, "backwards"),
        ({"sizes": "forty"}, "not like"),
        ({"sizes": ",".join(str(s) for s in range(30, 43))}, "at most 12"),
        ({"sizes": "41,41"}, "repeats"),
        ({"sizes": "41", "side": "middle"}, "left or right"),
        ({"sizes": "41", "system": "martian"}, "unknown size system"),
    ):
        response = client.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == "invalid_size_run" and words in response.json()["detail"], body
    assert client.post(url, json={"sizes": "41", "pair": "CS00-NOPE"}).status_code == 404
    assert client.post("/api/orders/O000000-000000/size-runs", json={"sizes": "41"}).status_code == 404
    assert client.post(url, json={}).json()["errors"][0]["location"] == "body.sizes"
    assert client.get("/api/orders/O000000-000000/lasts").status_code == 404
