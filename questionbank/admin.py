from django.contrib import admin

from questionbank.models import Bank, Question


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "created_at"]
    search_fields = ["name", "course"]
    filter_horizontal = ["members"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["id", "short_stem", "bank", "author", "embedding_status", "created_at"]
    list_filter = ["bank", "embedding_status", "truncated"]
    search_fields = ["stem", "source"]
    readonly_fields = [
        "normalized_hash",
        "embedding_model",
        "embedding_status",
        "embedding_error",
        "embedding_attempts",
        "truncated",
        "queued_at",
        "embedded_at",
        "created_at",
        "updated_at",
    ]
    exclude = ["embedding"]

    @admin.display(description="question")
    def short_stem(self, obj: Question) -> str:
        return obj.stem[:80]

    def save_model(self, request, obj, form, change):
        # Saving through the services keeps validation, exact-duplicate flags
        # and the queued duplicate check the same as in the teacher form.
        from questionbank.services import question_create, question_update

        if change:
            question_update(
                question=obj, stem=obj.stem, options=obj.options, answer=self._answer(obj)
            )
            return
        created = question_create(
            bank=obj.bank,
            author=obj.author or request.user,
            stem=obj.stem,
            options=obj.options,
            answer=self._answer(obj),
            source=obj.source,
        )
        obj.pk = created.question.pk

    @staticmethod
    def _answer(obj: Question):
        return obj.answer_index if obj.options else obj.answer_text
