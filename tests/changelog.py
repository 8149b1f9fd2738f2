"""CHANGELOG.md read as data: its entries, the releases it records, what an update crosses."""

import re

from support.render import TEMPLATE

CHANGELOG = TEMPLATE / "CHANGELOG.md"


def changelog_entries() -> list[tuple[str, str]]:
    """(heading, body) of each entry in CHANGELOG.md, newest first."""
    sections = re.split(r"^## ", CHANGELOG.read_text(), flags=re.MULTILINE)[1:]
    return [(heading, body) for heading, _, body in (s.partition("\n") for s in sections)]


def recorded_releases() -> list[tuple[str, str]]:
    """(version, commit) of every release in CHANGELOG.md, newest first."""
    releases = []
    for heading, body in changelog_entries():
        commit = re.search(r"^Commit: ([0-9a-f]{40})$", body, re.MULTILINE)
        if heading != "Unreleased":
            assert commit, f"CHANGELOG.md: release {heading!r} names no commit"
            releases.append((heading.split()[0], commit.group(1)))
    return releases


def update_notes_since(version: str) -> str:
    """The "Update:" notes of every entry newer than `version`: what an update crosses."""
    notes = []
    for heading, body in changelog_entries():
        if heading.split()[0] == version:
            break
        notes += re.findall(r"^Update: (.*?)(?:\n\n|\Z)", body, re.MULTILINE | re.DOTALL)
    return " ".join(" ".join(notes).split())
