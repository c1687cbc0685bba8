"""Recompute every question's fingerprint after decimal commas began to be folded."""

from django.db import migrations


def recompute(apps, schema_editor):
    from similarity.normalize import question_fingerprint

    Question = apps.get_model("questionbank", "Question")
    changed = []
    for question in Question.objects.only("pk", "stem", "options", "normalized_hash").iterator(
        chunk_size=2000
    ):
        fingerprint = question_fingerprint(question.stem, question.options or [])
        if fingerprint != question.normalized_hash:
            question.normalized_hash = fingerprint
            changed.append(question)
    Question.objects.bulk_update(changed, ["normalized_hash"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("questionbank", "0002_question_judge_vectors")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
