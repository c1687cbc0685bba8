"""Forms of the teacher and reviewer pages.

The forms only translate what a browser sends into the arguments of the
services; the rules about questions live in ``questionbank.validation``.
"""

import hashlib
import json
import re
import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField, BoundWidget

from questionbank.validation import question_clean
from similarity.models import FlagStatus

OPTION_SLOTS = 6
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


class QuestionForm(forms.Form):
    bank = forms.ModelChoiceField(queryset=None, empty_label=None)
    # strip=False: question_clean does the stripping, and its messages are the
    # ones the API and importers give for the same input.
    stem = forms.CharField(
        label="Question",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    correct = forms.TypedChoiceField(
        label="Correct option",
        choices=[(n, f"Option {n} is correct") for n in range(1, OPTION_SLOTS + 1)],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )
    answer_text = forms.CharField(
        label="Answer (open question)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only for questions without options.",
    )
    # Never rendered as an input: it anchors the errors about the option list
    # as a whole (too few, repeated) so that they show beside the options.
    options = forms.Field(required=False, disabled=True)
    # A fresh value per rendered form. A second submit of the same form with
    # the same text (a double click) returns the first question instead of
    # storing a copy that would at once be flagged as its exact duplicate.
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, banks, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks
        self.fields["stem"].help_text = (
            f"Up to {settings.QUESTIONBANK['MAX_STEM_CHARS']:,} characters. "
            "Markup is shown as plain text."
        )
        for n in range(1, OPTION_SLOTS + 1):
            self.fields[f"option_{n}"] = forms.CharField(
                label=f"Option {n}", required=False, strip=False
            )
        self.question_input: dict = {}

    def option_rows(self) -> list[tuple[BoundField, BoundWidget]]:
        """Each option's text box with its "correct" radio button, for the template."""
        radios = list(self["correct"])
        return [(self[f"option_{n}"], radios[n - 1]) for n in range(1, OPTION_SLOTS + 1)]

    def clean(self):
        data = super().clean()
        filled = [
            (n, data.get(f"option_{n}", ""))
            for n in range(1, OPTION_SLOTS + 1)
            if data.get(f"option_{n}", "").strip()
        ]
        options = [text for _, text in filled]
        answer = self._answer(data, [n for n, _ in filled])

        self.question_input = {"stem": data.get("stem", ""), "options": options, "answer": answer}
        try:
            question_clean(**self.question_input)
        except ValidationError as exc:
            self.add_service_errors(exc)
        return data

    def _answer(self, data: dict, slots: list[int]) -> int | str | None:
        correct = data.get("correct")
        answer_text = data.get("answer_text", "")
        if correct is not None and correct not in slots:
            self.add_error("correct", f"Option {correct}, marked as correct, is empty.")
            return None
        if slots and answer_text.strip():
            self.add_error(
                "answer_text",
                "A written answer is for open questions only; mark the correct option instead.",
            )
        if not slots:
            return answer_text
        return slots.index(correct) if correct is not None else None

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the errors of question_clean beside the inputs they are about."""
        # TODO: name the option box that is wrong. question_clean numbers the
        # options after blank boxes are dropped, so a gap between filled boxes
        # shifts its numbers; it needs to accept blanks to fix this.
        has_options = bool(self.question_input.get("options"))
        targets = {"stem": "stem", "options": "options"}
        targets["answer"] = "correct" if has_options else "answer_text"
        for field, messages in error.message_dict.items():
            target = targets.get(field)
            if target in self.errors:
                continue  # the form's own message about that input says it better
            for message in messages:
                self.add_error(target, message)

    def idempotency_key(self) -> str | None:
        """The form's token plus a digest of the input, or None without a token.

        The digest makes a changed form (edited after going back) a new
        question, while a repeated identical submit stays one question.
        """
        token = self.cleaned_data.get("token", "")
        if not _TOKEN.match(token):
            return None
        bank = self.cleaned_data.get("bank")
        content = {"bank": bank.pk if bank else None, **self.question_input}
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]
        return f"web:{token}:{digest}"


class FlagDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (FlagStatus.CONFIRMED, "Confirm: duplicate"),
            (FlagStatus.DISMISSED, "Dismiss: not a duplicate"),
        ]
    )
    note = forms.CharField(required=False, max_length=2000)
