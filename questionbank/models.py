from django.conf import settings
from django.db import models
from django.db.models import Q
from pgvector.django import HnswIndex, VectorField

# The column's dimension at creation; `manage.py reembed` resizes it for another model.
EMBEDDING_DIMENSION = 384


class Bank(models.Model):
    """A question bank, owned by a course or department."""

    name = models.CharField(max_length=200, unique=True)
    course = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="banks", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EmbeddingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Question(models.Model):
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="questions")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="questions"
    )
    stem = models.TextField()
    options = models.JSONField(default=list, blank=True)
    # For multiple choice: index into options. For open questions: answer_text.
    answer_index = models.PositiveSmallIntegerField(null=True, blank=True)
    answer_text = models.TextField(blank=True)
    source = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)

    normalized_hash = models.CharField(max_length=64, db_index=True)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSION, null=True, blank=True)
    # Vectors of the options and answer (float16, in similarity.judge.judge_texts
    # order), so that checks against this question need no model call.
    judge_vectors = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=200, blank=True)
    embedding_status = models.CharField(
        max_length=10, choices=EmbeddingStatus.choices, default=EmbeddingStatus.PENDING
    )
    embedding_error = models.TextField(blank=True)
    embedding_attempts = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    embedded_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            HnswIndex(
                name="question_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            models.Index(fields=["bank", "normalized_hash"], name="question_bank_hash"),
            models.Index(fields=["embedding_status", "queued_at"], name="question_status_queued"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="question_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.stem[:60]}"

    @property
    def correct_answer(self) -> str:
        if self.options and self.answer_index is not None and self.answer_index < len(self.options):
            return self.options[self.answer_index]
        return self.answer_text

    @property
    def answer(self) -> int | str | None:
        """The answer as question input gives it: an option index, else the answer text."""
        if self.options:
            return self.answer_index
        return self.answer_text or None

    @property
    def is_checked(self) -> bool:
        return self.embedding_status == EmbeddingStatus.READY
