"""The teacher and reviewer pages. Each view reads through the selectors and
writes through the services; none holds a rule of its own."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questionbank.models import Bank, Question
from questionbank.selectors import bank_list_visible, visible_to
from questionbank.services import question_create
from questionbank.web.forms import FlagDecisionForm, QuestionForm
from questionbank.web.selectors import (
    flag_list_for_review,
    question_check,
    question_get_visible,
    question_list_recent,
    review_tabs,
)
from similarity.models import DuplicateFlag, FlagStatus
from similarity.services import flag_decide

REVIEW_PERMISSION = "similarity.change_duplicateflag"
REVIEW_PAGE_SIZE = 20
# How often the pages ask whether a check has finished, in milliseconds.
POLL_PENDING_MS = 1500
POLL_FAILED_MS = 10_000


def _chosen_bank(banks: QuerySet[Bank], value: str | None) -> Bank | None:
    if value and value.isdigit():
        chosen = banks.filter(pk=int(value)).first()
        if chosen is not None:
            return chosen
    return banks.first()


def _visible_question_or_404(request: HttpRequest, pk: int) -> Question:
    # 404 rather than 403: a teacher outside the bank must not learn that the
    # question exists.
    question = question_get_visible(user=request.user, pk=pk)
    if question is None:
        raise Http404("No such question.")
    return question


@login_required
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    banks = bank_list_visible(user=request.user)
    bank = _chosen_bank(banks, request.POST.get("bank") or request.GET.get("bank"))

    if request.method == "POST":
        form = QuestionForm(request.POST, banks=banks)
        if form.is_valid():
            try:
                created = question_create(
                    bank=form.cleaned_data["bank"],
                    author=request.user,
                    idempotency_key=form.idempotency_key(),
                    **form.question_input,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Question saved.")
                return redirect("question-detail", pk=created.question.pk)
    else:
        form = QuestionForm(banks=banks, initial={"bank": bank})

    context = {
        "form": form,
        "bank": bank,
        "banks": banks,
        "recent": question_list_recent(user=request.user, bank=bank) if bank else [],
    }
    return render(request, "questions/home.html", context)


@never_cache
@login_required
@require_GET
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = _visible_question_or_404(request, pk)
    check = question_check(question=question, user=request.user)

    poll_ms = POLL_PENDING_MS if check.is_pending else POLL_FAILED_MS
    context = {"question": question, "check": check, "poll_ms": poll_ms}
    return render(request, "questions/detail.html", context)


@never_cache
@login_required
@require_GET
def question_status(request: HttpRequest, pk: int) -> JsonResponse:
    question = _visible_question_or_404(request, pk)
    return JsonResponse(
        {
            "id": question.pk,
            "embedding_status": question.embedding_status,
            "url": reverse("question-detail", args=[question.pk]),
        }
    )


@never_cache
@login_required
@permission_required(REVIEW_PERMISSION, raise_exception=True)
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    decided = request.GET.get("tab") == "decided"
    page = Paginator(
        flag_list_for_review(user=request.user, decided=decided), REVIEW_PAGE_SIZE
    ).get_page(request.GET.get("page"))

    context = {"page": page, "decided": decided, "tabs": review_tabs(user=request.user)}
    return render(request, "review/list.html", context)


@login_required
@permission_required(REVIEW_PERMISSION, raise_exception=True)
@require_POST
def review_decide(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(
        DuplicateFlag.objects.filter(visible_to(request.user, bank_field="question__bank__")), pk=pk
    )
    form = FlagDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Flag {flag.pk} was left as it was: choose Confirm or Dismiss.")
        return redirect("review")

    decided = flag_decide(
        flag=flag,
        user=request.user,
        decision=form.cleaned_data["decision"],
        note=form.cleaned_data["note"],
    )
    verb = "confirmed as a duplicate" if decided.status == FlagStatus.CONFIRMED else "dismissed"
    messages.success(request, f"Flag {decided.pk} {verb}.")
    return redirect("review")
