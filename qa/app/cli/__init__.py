"""The `qa` command line: commands in ``index_commands``, ``answer_commands``, ``api_commands`` and
``user_commands``, shared
options in ``common``."""

from __future__ import annotations

from qa.app.cli import answer_commands, api_commands, index_commands, user_commands  # noqa: F401  (registers the commands)
from qa.app.cli.common import app


def main() -> None:
    app()
