"""compose.yaml: valid by the compose spec, and it migrates before the service starts."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.shipping import WITH_DOCKER, Answers, check_jsonschema


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_compose_file_matches_the_compose_spec(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    check_jsonschema("vendor.compose-spec", rendered(**answers) / "compose.yaml")


@pytest.mark.parametrize("answers", WITH_DOCKER)
def test_compose_migrates_before_the_service_starts(
    rendered: Callable[..., Path], answers: Answers
) -> None:
    project = rendered(**answers)
    compose = yaml.safe_load((project / "compose.yaml").read_text())
    services = compose["services"]

    assert services["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert services["migrate"]["build"] == services["app"]["build"] == "."
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }

    if answers["database"] == "postgresql":
        db = services["db"]
        assert db["image"].startswith("postgres:")
        assert "pg_isready" in " ".join(db["healthcheck"]["test"])
        volume = db["volumes"][0].split(":")[0]
        assert volume in compose["volumes"]
        assert services["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}
        assert services["pgbouncer"]["depends_on"]["db"] == {"condition": "service_healthy"}
        assert services["app"]["depends_on"]["pgbouncer"] == {"condition": "service_started"}
        for name in ("migrate", "app"):
            environment = services[name]["environment"]
            # The app through PgBouncer, with the setting for it; migrations straight to db.
            assert "@pgbouncer:5432/" in environment["DATABASE_URL"]
            assert environment["DATABASE_PGBOUNCER"] == "true"
            assert "@db:5432/" in environment["DATABASE_MIGRATION_URL"]
            assert int(environment["WEB_CONCURRENCY"]) > 1
        bouncer = services["pgbouncer"]["environment"]
        assert bouncer["POOL_MODE"] == "transaction"
        assert "@db:5432/" in bouncer["DATABASE_URL"]
    else:
        # One named volume holds the database file, for the migration job and the service.
        dockerfile = (project / "Dockerfile").read_text()
        database_dir = re.search(r"DATABASE_URL=sqlite\+aiosqlite:///(/\S+)/", dockerfile)
        assert database_dir is not None
        for name in ("migrate", "app"):
            volume, target = services[name]["volumes"][0].split(":")
            assert volume in compose["volumes"]
            assert target == database_dir.group(1)
        assert set(services) == {"migrate", "app"}
