import pytest
from httpx import AsyncClient

from tests.blog.factories import create_author
from tests.problems import problem


async def test_create_author(client: AsyncClient) -> None:
    author = await create_author(client, name="Ada", email="ada@example.com")

    assert author["name"] == "Ada"
    assert author["email"] == "ada@example.com"
    assert isinstance(author["id"], int)
    assert isinstance(author["created_at"], str)


async def test_duplicate_email_is_a_conflict(client: AsyncClient) -> None:
    await create_author(client, email="ada@example.com")

    response = await client.post(
        "/api/v1/authors", json={"name": "Someone else", "email": "ada@example.com"}
    )

    assert problem(response, 409)["fields"] == ["email"]


async def test_emails_are_unique_whatever_their_case(client: AsyncClient) -> None:
    await create_author(client, email="ada@example.com")

    response = await client.post(
        "/api/v1/authors", json={"name": "Ada again", "email": "ADA@Example.com"}
    )

    assert problem(response, 409)["fields"] == ["email"]


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "   ", "email": "ada@example.com"},
        {"name": "\t\n", "email": "ada@example.com"},
        {"name": "Ada", "email": "ada@example.com", "role": "admin"},
    ],
    ids=["blank-name", "whitespace-name", "unknown-field"],
)
async def test_careless_authors_are_refused(client: AsyncClient, payload: dict[str, str]) -> None:
    response = await client.post("/api/v1/authors", json=payload)

    assert response.status_code == 422


async def test_invalid_author_is_refused(client: AsyncClient) -> None:
    response = await client.post("/api/v1/authors", json={"name": "", "email": "not-an-email"})

    fields = {tuple(error["loc"]) for error in problem(response, 422)["errors"]}
    assert fields == {("body", "name"), ("body", "email")}


async def test_get_author(client: AsyncClient) -> None:
    author = await create_author(client)

    response = await client.get(f"/api/v1/authors/{author['id']}")

    assert response.status_code == 200
    assert response.json() == author


async def test_unknown_author_is_not_found(client: AsyncClient) -> None:
    response = await client.get("/api/v1/authors/999999")

    assert problem(response, 404)["detail"] == "Author 999999 not found"


async def test_list_authors_pages(client: AsyncClient) -> None:
    for number in range(3):
        await create_author(client, email=f"author{number}@example.com")

    response = await client.get("/api/v1/authors", params={"offset": 1, "limit": 1})

    assert response.status_code == 200
    page = response.json()
    assert [author["email"] for author in page["items"]] == ["author1@example.com"]
    assert (page["total"], page["offset"], page["limit"]) == (3, 1, 1)


async def test_a_page_past_the_end_is_empty_but_counts_all(client: AsyncClient) -> None:
    for number in range(3):
        await create_author(client, email=f"author{number}@example.com")

    response = await client.get("/api/v1/authors", params={"offset": 10})

    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 3, "offset": 10, "limit": 20}


async def test_page_size_is_bounded(client: AsyncClient) -> None:
    response = await client.get("/api/v1/authors", params={"limit": 101})

    assert response.status_code == 422
