"""`copier update` keeps users' work: each test builds a throwaway template repository with
tagged releases, generates a project into its own git repository, edits it as a user would,
and updates it."""

import filecmp
import re
import subprocess
from pathlib import Path

import copier
import pytest
import yaml
from copier.errors import UnsafeTemplateError
from packaging.version import Version

from support.environment import tool_environment
from support.postgres import PostgresServer
from support.project import Project
from support.pytest_output import NOT_PASSED, pytest_summary
from support.render import TEMPLATE
from tests.changelog import recorded_releases, update_notes_since
from tests.template_repo import GIT_IDENTITY, GeneratedRepo, TemplateRepo, commit_all, git
from tests.user_edits import NOTES_REVISION, make_user_edits, replace_once

SETTINGS = "template/src/{{package_name}}/core/settings.py.jinja"
SETTINGS_DOCSTRING = '"""Service configuration, read from the environment and from `.env`."""'
HEALTH = "template/src/{{package_name}}/health.py"


def release_template_changes(template: TemplateRepo, version: str) -> None:
    """A later release that edits two template files and adds one."""
    template.edit(
        SETTINGS,
        lambda text: text.replace(
            SETTINGS_DOCSTRING, '"""Service configuration: the environment first, then `.env`."""'
        ),
    )
    template.edit(HEALTH, lambda text: text.replace("Probes for orchestrators", "Health probes"))
    (template.path / "template/OPERATIONS.md").write_text("# Operations\n\nRunbooks go here.\n")
    template.release(version)


def run_test_suite(project: Project) -> dict[str, int]:
    project.sync()
    summary = pytest_summary(project.uv_run("pytest", "-q", "-p", "no:cacheprovider"))
    assert not set(summary) & NOT_PASSED, summary
    return summary


@pytest.fixture
def template(tmp_path: Path) -> TemplateRepo:
    return TemplateRepo.of_working_tree(tmp_path / "template", "1.0.0")


def generate(template: TemplateRepo, tmp_path: Path, **data: object) -> GeneratedRepo:
    return template.copy(tmp_path / "service", "1.0.0", **data)


def use_postgres(service: GeneratedRepo, postgres: PostgresServer, name: str) -> str:
    """Point the service's `.env` at a new database (and the tests at its `_test` twin)."""
    database = postgres.create_database(name)
    with (service.path / ".env").open("a") as env:
        env.write(f"DATABASE_URL={postgres.service_url(database)}\n")
        env.write(f"TEST_DATABASE_URL={postgres.service_url(database + '_test')}\n")
    return database


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_user_edits_survive_an_update_that_changes_the_template(
    template: TemplateRepo, tmp_path: Path, request: pytest.FixtureRequest, database: str
) -> None:
    service = generate(template, tmp_path, database=database)
    edits = make_user_edits(service.project)
    service.commit("Notes, humanize, a shorter health check")
    release_template_changes(template, "2.0.0")

    service.update("2.0.0")

    assert service.conflicted() == []
    assert service.rejects() == []
    assert edits.lost(service.path) == []
    package = service.project.package
    assert "Health probes" in (service.path / f"src/{package}/health.py").read_text()
    assert "the environment first" in (service.path / f"src/{package}/core/settings.py").read_text()
    assert (service.path / "OPERATIONS.md").is_file()
    assert service.project.answers["_commit"] == "2.0.0"
    assert service.project.answers["_src_path"] == str(template.path)
    # Their feature's tests run beside the template's, and everything passes.
    if database == "postgresql":
        use_postgres(service, request.getfixturevalue("postgres"), "edited")
    assert run_test_suite(service.project)["passed"] > 20
    # What they wrote type-checks under the project's own mypy --strict.
    service.project.uv_run("mypy", *edits.python_files())


@pytest.mark.parametrize("mode", ["inline", "rej"])
def test_a_conflicting_edit_conflicts_in_that_file_alone(
    template: TemplateRepo, tmp_path: Path, mode: str
) -> None:
    service = generate(template, tmp_path)
    edits = make_user_edits(service.project)
    settings = f"src/{service.project.package}/core/settings.py"
    ours = '"""Settings of the notes service."""'
    replace_once(service.path / settings, SETTINGS_DOCSTRING, ours)
    service.commit("Notes, and our own words for the settings")
    release_template_changes(template, "2.0.0")

    service.update("2.0.0", conflict="inline" if mode == "inline" else "rej")

    text = (service.path / settings).read_text()
    if mode == "inline":
        assert service.conflicted() == [settings]
        assert service.rejects() == []
        assert "<<<<<<< before updating" in text
        assert ours in text
        assert "the environment first" in text
    else:
        assert service.conflicted() == []
        assert service.rejects() == [f"{settings}.rej"]
        assert ours in (service.path / f"{settings}.rej").read_text()
        assert "the environment first" in text
    # The conflict is confined to the docstring: their other edit to the file merged.
    del edits.lines[settings]
    assert "Field(default=1.5" in text
    assert edits.lost(service.path) == []
    markers = re.compile(r"^(<<<<<<<|>>>>>>>) ", re.MULTILINE)
    others = [path for path in git(service.path, "ls-files").split() if path != settings]
    assert [path for path in others if markers.search((service.path / path).read_text())] == []


def test_an_update_to_the_same_release_changes_nothing(
    template: TemplateRepo, tmp_path: Path
) -> None:
    service = generate(template, tmp_path)
    make_user_edits(service.project)
    service.commit("Notes")

    service.update("1.0.0")

    assert service.status() == []


@pytest.mark.postgres
def test_switching_an_edited_sqlite_service_to_postgresql(
    template: TemplateRepo, tmp_path: Path, postgres: PostgresServer
) -> None:
    service = generate(template, tmp_path)
    edits = make_user_edits(service.project)
    service.project.run("uv", "lock")  # committed, as a service's lock file should be
    service.commit("Notes, humanize, a shorter health check")
    # The service has run on SQLite: its database file is there, ignored by git.
    service.project.sync()
    service.project.uv_run("alembic", "upgrade", "head")
    sqlite_file = f"{service.project.package}.db"
    assert (service.path / sqlite_file).is_file()

    service.update(":current:", database="postgresql")

    assert service.conflicted() == []
    assert service.rejects() == []
    assert edits.lost(service.path) == []
    root, package = service.path, service.project.package
    pyproject = (root / "pyproject.toml").read_text()
    assert "postgresql-asyncpg" in pyproject
    assert "aiosqlite" not in pyproject
    assert "postgres:" in (root / "compose.yaml").read_text()
    assert "sqlite" not in (root / f"src/{package}/core/database.py").read_text()
    assert "render_as_batch" not in (root / "migrations/env.py").read_text()

    # The user points .env at their server, as the README says, and everything passes,
    # their migration included (the test fixtures build the schema with Alembic).
    database = use_postgres(service, postgres, "switched")
    assert run_test_suite(service.project)["passed"] > 20
    service.project.uv_run("alembic", "upgrade", "head")
    with postgres.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM notes").fetchone() == (0,)

    # The old SQLite file stays ignored: committing everything leaves it out, and the next
    # update finds a clean tree.
    service.commit("Move to PostgreSQL")
    assert sqlite_file not in git(service.path, "ls-files").split()
    assert service.status() == []
    service.update(":current:")
    assert service.status() == []


EXAMPLE_MIGRATION = "migrations/versions/2026_11_22_5f0c1a2b3d4e_create_authors_and_posts.py"


def test_dropping_the_example_api_removes_it_but_keeps_its_migration(
    template: TemplateRepo, tmp_path: Path
) -> None:
    service = generate(template, tmp_path)

    service.update(":current:", with_example_api=False)

    # A migration a service once had is history that its own revisions may build on.
    fresh = template.copy(tmp_path / "fresh", "1.0.0", with_example_api=False)
    assert differing_files(service.path, fresh.path, ignore=set()) == [EXAMPLE_MIGRATION]
    assert not (fresh.path / EXAMPLE_MIGRATION).exists()


def test_a_service_without_the_example_never_gets_its_migration(
    template: TemplateRepo, tmp_path: Path
) -> None:
    service = generate(template, tmp_path, with_example_api=False)
    release_template_changes(template, "2.0.0")

    service.update("2.0.0")

    assert not (service.path / EXAMPLE_MIGRATION).exists()
    fresh = template.copy(tmp_path / "fresh", "2.0.0", with_example_api=False)
    assert differing_files(service.path, fresh.path, ignore=set()) == []


def test_dropping_the_example_api_keeps_a_migration_chained_on_it_valid(
    template: TemplateRepo, tmp_path: Path
) -> None:
    service = generate(template, tmp_path)
    make_user_edits(service.project)  # the notes migration revises the example's
    service.commit("Notes")

    service.update(":current:", with_example_api=False)

    # The lines that named the example and the user's feature conflict where both changed
    # them (README, Updating); the user keeps their feature and drops the example.
    root, package = service.path, service.project.package
    assert sorted(service.conflicted()) == [f"src/{package}/api.py", f"src/{package}/models.py"]
    (root / f"src/{package}/api.py").write_text(
        '"""The versioned HTTP API: each feature\'s router is included here, under /api/v1."""\n\n'
        "from fastapi import APIRouter\n\nfrom . import notes\n\n"
        'router = APIRouter(prefix="/api/v1")\nrouter.include_router(notes.router)\n'
    )
    (root / f"src/{package}/models.py").write_text(
        '"""Every model of the service, so that Alembic and the tests see the whole schema."""\n\n'
        "from .core.models import Base\nfrom .notes.models import Note\n\n"
        '__all__ = ["Base", "Note"]\n'
    )
    assert (root / EXAMPLE_MIGRATION).is_file()
    project = service.project
    project.sync()
    assert project.uv_run("alembic", "heads").split() == [NOTES_REVISION, "(head)"]

    # Dropping the example's tables is the user's migration, as the README says, made on
    # their database (at head) and then run on a fresh one, every revision in order.
    project.uv_run("alembic", "upgrade", "head")
    project.uv_run("alembic", "revision", "--autogenerate", "-m", "drop the example API")
    drop = list((root / "migrations/versions").glob("*_drop_the_example_api.py"))
    assert len(drop) == 1
    assert 'op.drop_table("posts")' in drop[0].read_text()
    (root / f"{package}.db").unlink()
    project.uv_run("alembic", "upgrade", "head")
    project.uv_run("alembic", "check")
    assert run_test_suite(project)["passed"] > 10
    project.uv_run("mypy")


def test_recopy_reverts_edits_to_template_files(template: TemplateRepo, tmp_path: Path) -> None:
    # What the README says of `copier recopy`: not an update, it overwrites template files.
    service = generate(template, tmp_path)
    edits = make_user_edits(service.project)
    service.commit("Notes")

    copier.run_recopy(service.path, defaults=True, overwrite=True, quiet=True)

    package = service.project.package
    lost = edits.lost(service.path)
    assert "pyproject.toml lost '\"humanize>=4.9\"'" in lost
    assert f"src/{package}/api.py lost 'router.include_router(notes.router)'" in lost
    # The user's own files are not the template's: they stay.
    assert [line for line in lost if "changed or gone" in line] == []


def rename_question(template: TemplateRepo, old: str, new: str) -> None:
    """Rename a question everywhere the template uses it: copier.yml, file names, contents."""
    paths = [template.path / "copier.yml", *(template.path / "template").rglob("*")]
    for path in sorted(paths, key=lambda path: len(path.parts), reverse=True):
        if path.is_file() and old in path.read_text():
            path.write_text(path.read_text().replace(old, new))
        if old in path.name:
            path.rename(path.with_name(path.name.replace(old, new)))


def test_an_update_across_a_migration_keeps_a_renamed_answer(
    template: TemplateRepo, tmp_path: Path
) -> None:
    service = generate(template, tmp_path, with_docker=False)
    rename_question(template, "with_docker", "docker")
    with (template.path / "copier.yml").open("a") as config:
        config.write(
            "\n_migrations:\n"
            '  - version: "2.0.0"\n'
            "    when: \"{{ _stage == 'before' }}\"\n"
            "    command:\n"
            '      - "{{ _copier_python }}"\n'
            '      - "{{ _copier_conf.src_path }}/hooks/rename_answer.py"\n'
            '      - "{{ _copier_conf.answers_file }}"\n'
            "      - with_docker\n"
            "      - docker\n"
        )
    template.release("2.0.0")

    # A migration runs code from the template: Copier refuses it without --trust...
    with pytest.raises(UnsafeTemplateError):
        service.update("2.0.0")
    assert service.status() == []

    # ...and with it, the answer carries over: the user said no Docker, and still gets none
    # (without the migration, --defaults would answer the new question with its default).
    service.update("2.0.0", unsafe=True)

    assert service.project.answers["docker"] is False
    assert "with_docker" not in service.project.answers
    assert not (service.path / "Dockerfile").exists()
    assert [line for line in service.status() if "copier-answers" not in line] == []


def copier_cli(version: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `copier` command of release `version`, as uvx installs it."""
    return subprocess.run(
        ["uvx", "--from", f"copier=={version}", "copier", *args],
        cwd=cwd,
        env={**tool_environment(), **GIT_IDENTITY},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_oldest_copier_it_claims_to_support_does_everything_it_uses(
    template: TemplateRepo, tmp_path: Path
) -> None:
    # Every Copier feature the template uses, on the release copier.yml names as its floor:
    # a copy, an answer changed on update (the example API off, its migration kept by an
    # `_exclude` on `_copier_operation`), and a `_migrations` step in the `command`/`when`
    # form, refused without --trust.
    oldest = yaml.safe_load((TEMPLATE / "copier.yml").read_text().split("\n---")[0])[
        "_min_copier_version"
    ]

    def copy(release: str, destination: Path, *data: str) -> None:
        copied = copier_cli(
            oldest,
            tmp_path,
            "copy",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            release,
            *data,
            str(template.path),
            str(destination),
        )
        assert copied.returncode == 0, copied.stderr

    service = tmp_path / "service"
    copy("1.0.0", service)
    assert (service / EXAMPLE_MIGRATION).is_file()
    git(service, "init", "--quiet")
    commit_all(service, "Generated")
    with (template.path / "copier.yml").open("a") as config:
        config.write(
            "\n_migrations:\n"
            '  - version: "2.0.0"\n'
            "    when: \"{{ _stage == 'after' }}\"\n"
            "    command: [git, tag, migrated-to-2.0.0]\n"
        )
    template.release("2.0.0")
    update = (
        "update",
        "--defaults",
        "--quiet",
        "--vcs-ref",
        "2.0.0",
        "--data",
        "with_example_api=false",
    )

    refused = copier_cli(oldest, service, *update)
    assert refused.returncode != 0
    assert "unsafe" in (refused.stdout + refused.stderr).lower()
    assert git(service, "status", "--porcelain") == ""

    updated = copier_cli(oldest, service, *update, "--trust")
    assert updated.returncode == 0, updated.stderr
    assert yaml.safe_load((service / ".copier-answers.yml").read_text())["_commit"] == "2.0.0"
    assert "migrated-to-2.0.0" in git(service, "tag").split()
    assert not (service / "src/my_service/blog").exists()
    assert (service / EXAMPLE_MIGRATION).is_file()
    fresh = tmp_path / "fresh"
    copy("2.0.0", fresh, "--data", "with_example_api=false")
    assert not (fresh / EXAMPLE_MIGRATION).exists()


def test_the_changelog_records_releases_newest_first() -> None:
    releases = recorded_releases()

    assert releases, "CHANGELOG.md records no release"
    versions = [Version(version) for version, _ in releases]
    assert versions == sorted(versions, reverse=True)
    assert [str(version) for version in versions] == [version for version, _ in releases]


def differing_files(left: Path, right: Path, ignore: set[str]) -> list[str]:
    """Files whose content differs between two trees, or that only one has (not `.git`)."""

    def files(root: Path) -> set[str]:
        paths = (path.relative_to(root) for path in root.rglob("*") if path.is_file())
        return {str(path) for path in paths if path.parts[0] != ".git"}

    left_files, right_files = files(left), files(right)
    differ = left_files ^ right_files
    differ |= {
        path
        for path in left_files & right_files
        if not filecmp.cmp(left / path, right / path, shallow=False)
    }
    return sorted(differ - ignore)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("version", "commit"), recorded_releases())
def test_every_release_updates_to_the_current_template(
    tmp_path: Path, version: str, commit: str, database: str
) -> None:
    template = TemplateRepo.with_history(tmp_path / "template")
    template.tag(version, commit)
    service = template.copy(tmp_path / "service", version, database=database)
    edits = make_user_edits(service.project)
    service.commit("Notes")

    service.update("HEAD")

    # A conflict is allowed only where the changelog warns of one on the way.
    notes, package = update_notes_since(version), service.project.package
    unannounced = [
        path
        for path in service.conflicted()
        if path.replace(f"/{package}/", "/<package>/") not in notes
    ]
    assert unannounced == [], f"CHANGELOG.md does not warn of these conflicts: {unannounced}"
    assert service.rejects() == []
    assert edits.lost(service.path) == []
    # Apart from the user's edits, the service is what the current template generates
    # with the answers it recorded (a default that changed since does not apply to it).
    answers = {k: v for k, v in service.project.answers.items() if not k.startswith("_")}
    fresh = template.copy(tmp_path / "fresh", "HEAD", **answers)
    edited = set(edits.files) | set(edits.lines)
    assert differing_files(service.path, fresh.path, ignore=edited) == []


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """The template's history with every release in CHANGELOG.md tagged."""
    template = TemplateRepo.with_history(tmp_path_factory.mktemp("history") / "template")
    for version, commit in recorded_releases():
        template.tag(version, commit)
    return template


@pytest.mark.parametrize("example", [True, False], ids=["example", "bare"])
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("version", "commit"), recorded_releases())
def test_update_notes_name_every_file_the_update_changes(
    history: TemplateRepo, tmp_path: Path, version: str, commit: str, database: str, example: bool
) -> None:
    # A user's edit can conflict in any file whose lines the template changed on the way
    # from their release: the notes of the releases crossed must name each one.
    old, new = tmp_path / "old", tmp_path / "new"
    data = {"database": database, "with_example_api": example}
    copier.run_copy(str(history.path), old, data=data, defaults=True, vcs_ref=version, quiet=True)
    recorded = yaml.safe_load((old / ".copier-answers.yml").read_text())
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    copier.run_copy(str(history.path), new, data=answers, defaults=True, vcs_ref="HEAD", quiet=True)

    changed = differing_files(old, new, ignore={".copier-answers.yml"})
    changed = [path for path in changed if (old / path).is_file() and (new / path).is_file()]
    notes, package = update_notes_since(version), answers["package_name"]
    unnamed = [path for path in changed if path.replace(f"/{package}/", "/<package>/") not in notes]
    assert unnamed == [], f"the Update notes since {version} do not name {unnamed}"


@pytest.mark.parametrize(("version", "commit"), recorded_releases())
def test_released_migrations_are_never_edited(version: str, commit: str) -> None:
    # Services run the migrations they were generated with: a release changes the schema
    # with a new revision, never by rewriting one that users have already applied.
    released = git(TEMPLATE, "ls-tree", "-r", "--name-only", commit, "template/migrations/versions")
    for path in released.split("\n"):
        if path:
            # A file name's condition may change (the rendered name may not): compare by
            # the name a service gets.
            current = TEMPLATE / re.sub(r"\{%.*?%\}", "", path)
            assert current.is_file(), f"{path}, released in {version}, is gone"
            shown = git(TEMPLATE, "show", f"{commit}:{path}")
            assert current.read_text() == shown, f"{path} changed since {version}"
