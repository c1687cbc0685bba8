#!/usr/bin/env python
import os
import sys

# Commands that never touch the database or the broker.
NO_SERVICES = {"evaluate_pairs", "help", "check", "collectstatic", "makemigrations", "version"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questionbank.settings.dev")
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    if command not in NO_SERVICES and not command.startswith("-"):
        import atexit

        from questionbank.stack import ensure_services, stop_services

        # Embedded servers this command had to start stop again when it ends;
        # ones already running (make run) are left alone.
        atexit.register(stop_services, ensure_services())

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
