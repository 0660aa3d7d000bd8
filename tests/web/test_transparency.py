"""The public transparency page over HTTP, on SQLite and PostgreSQL: anyone may read it without
signing in; it states the recommenders' main parameters as the API does, holds no one's data,
and is in the reader's language."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tactful.service import Tactful

pytest_plugins = ["tests.trained_shop"]


def test_anyone_reads_it_without_signing_in(client: TestClient, service: Tactful) -> None:
    response = client.get("/transparency")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "set-cookie" not in {k.lower() for k in response.headers}
    body = response.text
    assert "<h1>How recommendations are made</h1>" in body
    parameters = service.main_parameters()
    # The recommenders and levels the API states, one by one.
    for recommender in parameters["recommenders"]:
        assert f"<h3>{recommender['name']}</h3>" in body
    for level in parameters["levels"]:
        assert f'<th scope="row">{level["level"]}</th>' in body
    assert parameters["generated_from"]["sha256"] in body
    # The operator-facing hint of the console is not shown to the public.
    assert "GET /v1/transparency/recommender" not in body
    # The notice in force is named.
    assert service.notice()["version"] in body


def test_it_names_no_one(client: TestClient) -> None:
    body = client.get("/transparency").text
    for person in ("alice", "bob", "carol", "dan", "@example.com"):
        assert person not in body


def test_the_front_page_links_it(client: TestClient) -> None:
    body = client.get("/").text
    assert re.search(r'<a href="/transparency">', body)


def test_it_is_in_french_for_a_french_reader(client: TestClient) -> None:
    response = client.get("/transparency", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text


def test_it_shows_the_privacy_budget_spent(client: TestClient, service: Tactful) -> None:
    budget = service.main_parameters()["aggregate"]
    assert budget["offered"]
    releases = budget["releases"]
    assert len(releases) >= 1  # the shop's training made one
    body = client.get("/transparency").text
    assert "Privacy budget of the trends" in body
    # Every release is a row, with the budget it spent; the total is the one OpenDP composed.
    for release in releases:
        assert f"<code>{release['model_version']}</code>" in body
    # Each row says how many items its counts covered: the public candidate set's size.
    assert "Items counted" in body
    row = re.search(
        rf"<code>{re.escape(releases[-1]['model_version'])}</code>(.*?)</tr>", body, re.S
    )
    assert row is not None
    cells = re.findall(r'<td class="num">([^<]+)</td>', row.group(1))
    assert cells[3] == f"{releases[-1]['candidate_items']:,}"
    total = re.search(r'<dd id="budget-total">([^<]+)</dd>', body)
    assert total is not None
    assert float(total.group(1).replace(",", "")) == round(budget["total_epsilon"], 2)
    # The cap on what the releases of a period spend together, and what this period spent.
    cap = budget["budget"]
    assert re.search(rf'<dd id="budget-cap">{cap["cap"]:.2f}</dd>', body)
    assert "Cap over any 365 days" in body
    spent = re.search(r'<dd id="budget-period">([^<]+)</dd>', body)
    assert spent is not None
    assert float(spent.group(1)) == round(cap["spent_in_period"], 2)
    assert "The next release fits within the cap." in body
    # A second training is a second release: it is added to the page and to the total.
    service.train()
    after = service.main_parameters()["aggregate"]
    assert len(after["releases"]) == len(releases) + 1
    assert after["total_epsilon"] > budget["total_epsilon"]
    body = client.get("/transparency").text
    for release in after["releases"]:
        assert f"<code>{release['model_version']}</code>" in body
    total = re.search(r'<dd id="budget-total">([^<]+)</dd>', body)
    assert total is not None
    assert float(total.group(1).replace(",", "")) == round(after["total_epsilon"], 2)
