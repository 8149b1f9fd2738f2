"""Carry a recorded answer over to a question's new name, for a `_migrations` step.

    _migrations:
      - version: "0.3.0"
        when: "{{ _stage == 'before' }}"
        command:
          - "{{ _copier_python }}"
          - "{{ _copier_conf.src_path }}/hooks/rename_answer.py"
          - "{{ _copier_conf.answers_file }}"
          - old_name
          - new_name

Runs in the project being updated, before Copier reads its answers, so the renamed question
is not asked again (and, with --defaults, not silently reset to its default). Standard
library only: it runs on the interpreter that runs Copier.
"""

import re
import sys
from pathlib import Path


def rename_answer(answers_file: Path, old: str, new: str) -> bool:
    """Rename the top-level key `old` to `new`; False if `old` was not recorded."""
    text = answers_file.read_text(encoding="utf-8")
    if re.search(rf"^{re.escape(new)}:", text, re.MULTILINE):
        raise SystemExit(f"{answers_file} already records {new!r}; not renaming {old!r}")
    renamed, count = re.subn(rf"^{re.escape(old)}:", f"{new}:", text, flags=re.MULTILINE)
    if count:
        answers_file.write_text(renamed, encoding="utf-8")
    return bool(count)


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: rename_answer.py ANSWERS_FILE OLD_NAME NEW_NAME")
    answers_file, old, new = Path(argv[0]), argv[1], argv[2]
    if rename_answer(answers_file, old, new):
        print(f"{answers_file}: answer {old!r} is now {new!r}")
    else:
        print(f"{answers_file}: no answer {old!r} recorded; nothing to rename")


if __name__ == "__main__":
    main(sys.argv[1:])
