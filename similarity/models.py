from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least

from questionbank.models import Question


class FlagKind(models.TextChoices):
    EXACT = "exact", "Exact"
    SEMANTIC = "semantic", "Semantic"


class FlagLabel(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate"
    VARIANT = "variant", "Variant"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class DuplicateFlag(models.Model):
    """A likely duplicate (or a variant worth showing) of an existing question.

    ``question`` is the newer of the two, ``original`` the one it resembles. A
    pair is stored at most once, whichever order it was found in.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="flags")
    original = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="flagged_as_original"
    )
    kind = models.CharField(max_length=10, choices=FlagKind.choices)
    label = models.CharField(max_length=10, choices=FlagLabel.choices, default=FlagLabel.DUPLICATE)
    score = models.FloatField()
    cosine = models.FloatField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    low_confidence = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                Least("question", "original"),
                Greatest("question", "original"),
                name="flag_unique_unordered_pair",
            ),
            models.CheckConstraint(condition=~Q(question=F("original")), name="flag_not_self"),
        ]
        indexes = [models.Index(fields=["status", "label"], name="flag_status_label")]

    def __str__(self) -> str:
        return f"#{self.question_id} ~ #{self.original_id} ({self.label}, {self.score:.2f})"
