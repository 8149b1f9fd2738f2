"""Throwaway git repositories of the template and of projects generated from it.

`copier update` only works between git commits: the template must be a repository with
tagged releases and the project a clean repository whose answers record `_commit`. These
helpers build both in a test's temporary directory, never touching the real checkout.
"""

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import copier
from copier import VcsRef

from support.project import Project
from support.render import TEMPLATE

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
}


def git(path: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(path), **GIT_IDENTITY},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"`git {' '.join(args)}` failed:\n{result.stderr}"
    return result.stdout


def commit_all(path: Path, message: str) -> None:
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--allow-empty", "--message", message)


def working_tree_files(repository: Path) -> list[Path]:
    """Files of the checkout under test, uncommitted ones included, ignored ones not."""
    listing = git(repository, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    paths = (Path(name) for name in listing.split("\0") if name)
    return [path for path in paths if (repository / path).is_file()]


@dataclass
class TemplateRepo:
    path: Path

    @classmethod
    def of_working_tree(cls, destination: Path, version: str) -> "TemplateRepo":
        """A repository holding the template as it is now, released as `version`."""
        destination.mkdir(parents=True)
        git(destination, "init", "--quiet")
        repo = cls(destination)
        repo._copy_working_tree()
        repo.release(version)
        return repo

    @classmethod
    def with_history(cls, destination: Path) -> "TemplateRepo":
        """A clone of the template's history, with the working tree committed on top."""
        git(TEMPLATE, "clone", "--quiet", "--no-local", str(TEMPLATE), str(destination))
        repo = cls(destination)
        for path in working_tree_files(destination):
            (destination / path).unlink()
        repo._copy_working_tree()
        commit_all(destination, "The working tree under test")
        return repo

    def _copy_working_tree(self) -> None:
        for path in working_tree_files(TEMPLATE):
            target = self.path / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(TEMPLATE / path, target)

    def file(self, relative: str) -> Path:
        """A file of the template, found by a glob (names hold Jinja, e.g. `{{package_name}}`)."""
        matches = sorted(self.path.glob(relative))
        assert len(matches) == 1, f"{relative} matches {matches}"
        return matches[0]

    def edit(self, relative: str, change: Callable[[str], str]) -> None:
        path = self.file(relative)
        before = path.read_text()
        after = change(before)
        assert after != before, f"the edit of {relative} changed nothing"
        path.write_text(after)

    def release(self, version: str, message: str | None = None) -> None:
        commit_all(self.path, message or f"Release {version}")
        git(self.path, "tag", version)

    def tag(self, version: str, commit: str) -> None:
        known = subprocess.run(
            ["git", "cat-file", "-e", f"{commit}^{{commit}}"], cwd=self.path, capture_output=True
        )
        assert known.returncode == 0, (
            f"release {version}'s commit {commit} is not in this clone's history:"
            " the update tests need a full clone (not a shallow one)"
        )
        # --force: a clone may already carry the tag.
        git(self.path, "tag", "--force", version, commit)

    def copy(self, destination: Path, version: str, **data: Any) -> "GeneratedRepo":
        """Render `version` into a new project repository, as `copier copy` then `git init`."""
        copier.run_copy(
            str(self.path), destination, data=data, defaults=True, vcs_ref=version, quiet=True
        )
        git(destination, "init", "--quiet")
        commit_all(destination, "Generated from the template")
        return GeneratedRepo(Project.at(destination))


Conflict = Literal["inline", "rej"]


@dataclass
class GeneratedRepo:
    project: Project

    @property
    def path(self) -> Path:
        return self.project.path

    def update(
        self,
        version: str,
        conflict: Conflict = "inline",
        unsafe: bool = False,
        **data: Any,
    ) -> None:
        """`copier update` to `version` (":current:" stays on the recorded one)."""
        copier.run_update(
            self.path,
            data=data,
            defaults=True,
            overwrite=True,
            vcs_ref=VcsRef.CURRENT if version == VcsRef.CURRENT.value else version,
            conflict=conflict,
            unsafe=unsafe,
            quiet=True,
        )
        self.project = Project.at(self.path)

    def status(self) -> list[str]:
        """`git status --porcelain` lines (untracked files included)."""
        return git(self.path, "status", "--porcelain", "--untracked-files=all").splitlines()

    def conflicted(self) -> list[str]:
        """Paths git holds unmerged after an update with inline conflicts."""
        return git(self.path, "diff", "--name-only", "--diff-filter=U").split()

    def rejects(self) -> list[str]:
        return sorted(str(path.relative_to(self.path)) for path in self.path.rglob("*.rej"))

    def commit(self, message: str) -> None:
        commit_all(self.path, message)
