from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from questionbank.models import Bank, Question
from questionbank.selectors import bank_list_visible, visible_to
from questionbank.validation import question_clean


class QuestionAdminForm(forms.ModelForm):
    """Runs the same validation as the teacher form and the API."""

    class Meta:
        model = Question
        fields = ["bank", "author", "stem", "options", "answer_index", "answer_text", "source"]

    def clean(self):
        data = super().clean()
        options = data.get("options")
        answer_field = "answer_index" if options else "answer_text"
        try:
            question_clean(stem=data.get("stem"), options=options, answer=data.get(answer_field))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(answer_field if field == "answer" else field, messages)
        return data


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["name", "course", "created_at"]
    search_fields = ["name", "course"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visible_to(request.user))


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    form = QuestionAdminForm
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

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.filter(visible_to(request.user, bank_field="bank__"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bank":
            kwargs["queryset"] = bank_list_visible(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="question")
    def short_stem(self, obj: Question) -> str:
        return obj.stem[:80]

    def save_model(self, request, obj, form, change):
        # Saving through the services keeps validation, exact-duplicate flags
        # and the queued duplicate check the same as in the teacher form.
        from questionbank.services import question_create, question_update

        if change:
            question_update(question=obj, stem=obj.stem, options=obj.options, answer=obj.answer)
            return
        created = question_create(
            bank=obj.bank,
            author=obj.author or request.user,
            stem=obj.stem,
            options=obj.options,
            answer=obj.answer,
            source=obj.source,
        )
        obj.pk = created.question.pk
