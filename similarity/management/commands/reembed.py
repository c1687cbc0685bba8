from django.core.management.base import BaseCommand

from similarity.compat import column_dimension
from similarity.conf import get_setting
from similarity.services import questions_reembed


class Command(BaseCommand):
    help = (
        "Embed every question again with the configured model (SIMILARITY_MODEL, "
        "SIMILARITY_MODEL_NAME, SIMILARITY_DIMENSION), resizing the vector column if the "
        "dimension changed. Searches skip questions until their new vector is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-queue", action="store_true", help="mark questions pending without queueing"
        )

    def handle(self, *args, **options):
        before = column_dimension()
        count = questions_reembed(queue=not options["no_queue"])
        after = get_setting("DIMENSION")
        resized = f"; vector column resized from {before} to {after}" if before != after else ""
        self.stdout.write(f"{count} questions marked for re-embedding{resized}.")
