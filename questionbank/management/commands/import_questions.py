from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from questionbank.importers import questions_import, read_jsonl


class Command(BaseCommand):
    help = (
        "Import questions from a JSON Lines file: one object per line with stem, "
        "options (list or null), answer (option index or text), and optionally bank and source."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--bank", help="bank for lines that name none")
        parser.add_argument("--author", help="username recorded as the author")

    def handle(self, *args, **options):
        author = None
        if options["author"]:
            author = get_user_model().objects.filter(username=options["author"]).first()
            if author is None:
                raise CommandError(f"no user named {options['author']!r}")
        try:
            items = read_jsonl(options["file"])
            count = questions_import(items=items, author=author, default_bank=options["bank"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(f"nothing imported: {exc.message_dict}") from exc
        self.stdout.write(f"Imported {count} questions; their duplicate checks are queued.")
