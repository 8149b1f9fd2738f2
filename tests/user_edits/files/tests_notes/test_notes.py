from httpx import AsyncClient


async def test_a_note_is_stored_and_read_back(client: AsyncClient) -> None:
    created = await client.post("/api/v1/notes", json={"text": "Remember the milk"})
    assert created.status_code == 201, created.text

    read = await client.get(f"/api/v1/notes/{created.json()['id']}")

    note = {"id": created.json()["id"], "text": "Remember the milk", "size": "17 Bytes"}
    assert read.json() == note


async def test_an_unknown_note_is_404(client: AsyncClient) -> None:
    assert (await client.get("/api/v1/notes/999")).status_code == 404
