"""Render the template from this checkout: its working tree, or one of its commits."""

from pathlib import Path
from typing import Any

import copier

# The template repository: this checkout.
TEMPLATE = Path(__file__).resolve().parents[1]


def render(destination: Path, vcs_ref: str = "HEAD", **data: Any) -> Path:
    # vcs_ref="HEAD" renders the working tree under test (uncommitted changes included);
    # without it Copier would render the latest release tag instead. Any other ref renders
    # the template as it was at that commit of this repository.
    copier.run_copy(
        str(TEMPLATE), destination, data=data, defaults=True, vcs_ref=vcs_ref, quiet=True
    )
    return destination
