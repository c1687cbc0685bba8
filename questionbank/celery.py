import os

from celery import Celery

# Set before any tokenizer is created in a forked worker child.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questionbank.settings.dev")

app = Celery("questionbank")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
