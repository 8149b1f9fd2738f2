import json
from typing import Any

import pytest
from httpx import AsyncClient

from tests.blog.factories import create_author, create_post
from tests.problems import problem


@pytest.fixture
async def author(client: AsyncClient) -> dict[str, Any]:
    return await create_author(client)


async def test_create_post_embeds_its_author(client: AsyncClient, author: dict[str, Any]) -> None:
    post = await create_post(client, author["id"], title="Hello", body="First post.")

    assert post["title"] == "Hello"
    assert post["body"] == "First post."
    assert post["author"] == author


@pytest.mark.parametrize(
    "change",
    [
        {"author_id": True},
        {"author_id": "1"},
        {"author_id": 1.5},
        {"title": "   "},
        {"published": True},
    ],
    ids=["boolean-id", "string-id", "fractional-id", "blank-title", "unknown-field"],
)
async def test_careless_posts_are_refused(
    client: AsyncClient, author: dict[str, Any], change: dict[str, object]
) -> None:
    post = {"title": "Hello", "body": "Text", "author_id": author["id"], **change}

    response = await client.post("/api/v1/posts", json=post)

    assert response.status_code == 422


async def test_an_update_with_an_unknown_field_is_refused(
    client: AsyncClient, author: dict[str, Any]
) -> None:
    post = await create_post(client, author["id"])

    response = await client.patch(f"/api/v1/posts/{post['id']}", json={"author_id": 2})

    assert response.status_code == 422


async def test_post_by_unknown_author_is_refused(
    client: AsyncClient, author: dict[str, Any]
) -> None:
    response = await client.post(
        "/api/v1/posts", json={"title": "Hello", "body": "Text", "author_id": 999999}
    )

    assert problem(response, 404)["detail"] == "Author 999999 not found"
    # Nothing was stored, and the refused write left nothing broken for the next one.
    assert (await client.get("/api/v1/posts")).json()["total"] == 0
    post = await create_post(client, author["id"])
    assert (await client.get("/api/v1/posts")).json()["items"] == [post]


async def test_get_post(client: AsyncClient, author: dict[str, Any]) -> None:
    post = await create_post(client, author["id"])

    response = await client.get(f"/api/v1/posts/{post['id']}")

    assert response.status_code == 200
    assert response.json() == post


async def test_list_posts_embeds_authors(client: AsyncClient, author: dict[str, Any]) -> None:
    for number in range(3):
        await create_post(client, author["id"], title=f"Post {number}")

    response = await client.get("/api/v1/posts", params={"limit": 2})

    assert response.status_code == 200
    page = response.json()
    assert [post["title"] for post in page["items"]] == ["Post 0", "Post 1"]
    assert all(post["author"] == author for post in page["items"])
    assert page["total"] == 3


async def test_page_size_is_bounded(client: AsyncClient) -> None:
    response = await client.get("/api/v1/posts", params={"limit": 101})

    assert response.status_code == 422


async def test_update_post_changes_only_given_fields(
    client: AsyncClient, author: dict[str, Any]
) -> None:
    post = await create_post(client, author["id"])

    response = await client.patch(f"/api/v1/posts/{post['id']}", json={"title": "Edited"})

    assert response.status_code == 200
    updated = response.json()
    assert updated["title"] == "Edited"
    assert updated["body"] == post["body"]
    assert updated["author"] == author


async def test_update_refuses_null(client: AsyncClient, author: dict[str, Any]) -> None:
    post = await create_post(client, author["id"])

    response = await client.patch(f"/api/v1/posts/{post['id']}", json={"title": None})

    assert response.status_code == 422


async def test_delete_post(client: AsyncClient, author: dict[str, Any]) -> None:
    post = await create_post(client, author["id"])

    deleted = await client.delete(f"/api/v1/posts/{post['id']}")
    fetched = await client.get(f"/api/v1/posts/{post['id']}")

    assert deleted.status_code == 204
    assert fetched.status_code == 404


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"title": "Edited"}), ("DELETE", None)]
)
async def test_unknown_post_is_not_found(
    client: AsyncClient, method: str, body: dict[str, str] | None
) -> None:
    response = await client.request(method, "/api/v1/posts/999999", json=body)

    assert problem(response, 404)["detail"] == "Post 999999 not found"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/posts/2147483648", None),
        ("GET", "/api/v1/posts?offset=2147483648", None),
        ("PATCH", "/api/v1/posts/0", {"title": "Edited"}),
        ("POST", "/api/v1/posts", {"title": "T", "body": "B", "author_id": 2**40}),
    ],
)
async def test_values_beyond_the_columns_are_refused(
    client: AsyncClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    response = await client.request(method, path, json=body)

    assert response.status_code == 422


# Raw JSON: these escapes are valid JSON, but no database stores the text they make.
@pytest.mark.parametrize("title", [r'"NUL \u0000"', r'"unpaired \ud800"'])
async def test_text_no_database_can_store_is_refused(
    client: AsyncClient, author: dict[str, Any], title: str
) -> None:
    post = {"title": "TITLE", "body": "Text", "author_id": author["id"]}
    content = json.dumps(post).replace('"TITLE"', title)

    response = await client.post(
        "/api/v1/posts", content=content, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422
