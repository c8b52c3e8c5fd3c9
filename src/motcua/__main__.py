"""`motcua` command line: Django's manage.py plus the project's own commands.

Our commands are spelled with dashes (`motcua due-date`, `motcua seed-demo`); Django module
names can't contain dashes, so `due-date` runs the `due_date` command.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "motcua.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
