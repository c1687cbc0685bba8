from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from questionbank.models import Question
from questionbank.selectors import visible_to
from similarity.models import DuplicateFlag, FlagStatus
from similarity.services import flag_decide


def _render_question(question: Question):
    options = format_html_join(
        "",
        "{}",
        (
            (
                format_html("<li><strong>{}</strong> (correct)</li>", option)
                if i == question.answer_index
                else format_html("<li>{}</li>", option),
            )
            for i, option in enumerate(question.options or [])
        ),
    )
    return format_html(
        '<div style="max-width:40em"><p><a href="/questions/{}/">#{}</a> in {}</p>'
        '<p style="white-space:pre-wrap">{}</p><ol type="A">{}</ol>{}</div>',
        question.pk,
        question.pk,
        question.bank,
        question.stem,
        options,
        format_html("<p>Answer: {}</p>", question.answer_text) if question.answer_text else "",
    )


@admin.register(DuplicateFlag)
class DuplicateFlagAdmin(admin.ModelAdmin):
    list_display = ["id", "new_question", "original_question", "label", "kind", "score", "status"]
    list_filter = ["status", "label", "kind", "question__bank"]
    search_fields = ["question__stem", "original__stem"]
    actions = ["confirm", "dismiss"]
    fields = [
        "side_by_side",
        "label",
        "kind",
        "score",
        "cosine",
        "reasons",
        "low_confidence",
        "status",
        "decision_note",
        "decided_by",
        "decided_at",
    ]
    # A reviewer edits the decision; everything the detector wrote stays as it was.
    readonly_fields = [name for name in fields if name not in ("status", "decision_note")]

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("question__bank", "original__bank")
        return queryset.filter(visible_to(request.user, bank_field="question__bank__"))

    def has_add_permission(self, request):
        return False

    @admin.display(description="new question")
    def new_question(self, obj: DuplicateFlag) -> str:
        return obj.question.stem[:70]

    @admin.display(description="resembles")
    def original_question(self, obj: DuplicateFlag) -> str:
        return obj.original.stem[:70]

    @admin.display(description="the pair")
    def side_by_side(self, obj: DuplicateFlag):
        return format_html(
            '<div style="display:flex;gap:2em"><div><h3>New</h3>{}</div>'
            "<div><h3>Existing</h3>{}</div></div>",
            _render_question(obj.question),
            _render_question(obj.original),
        )

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data or "decision_note" in form.changed_data:
            flag_decide(flag=obj, user=request.user, decision=obj.status, note=obj.decision_note)

    @admin.action(description="Confirm: the pair is a duplicate")
    def confirm(self, request, queryset):
        self._decide(request, queryset, FlagStatus.CONFIRMED)

    @admin.action(description="Dismiss: not a duplicate")
    def dismiss(self, request, queryset):
        self._decide(request, queryset, FlagStatus.DISMISSED)

    def _decide(self, request, queryset, decision: str) -> None:
        for flag in queryset:
            flag_decide(flag=flag, user=request.user, decision=decision)
        self.message_user(request, f"{queryset.count()} flags {decision}.", messages.SUCCESS)
