from django.core.management.base import BaseCommand

from questionbank.importers import demo_bank_load


class Command(BaseCommand):
    help = "Create the demo users and load the bundled demo question bank (once)."

    def handle(self, *args, **options):
        count = demo_bank_load()
        if count:
            self.stdout.write(f"Loaded {count} demo questions; the worker is embedding them.")
        else:
            self.stdout.write("Demo bank already loaded.")
