from http import HTTPStatus
from typing import Any

from httpx import Response


def problem(response: Response, status: int) -> dict[str, Any]:
    """The body of an error response, checked to be an RFC 9457 problem of that status."""
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == "about:blank"
    assert body["title"] == HTTPStatus(status).phrase
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["X-Request-ID"] != ""
    assert isinstance(body["detail"], str)
    return body
