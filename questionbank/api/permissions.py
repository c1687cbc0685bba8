from rest_framework.permissions import BasePermission

REVIEW_PERMISSION = "similarity.change_duplicateflag"


class CanReviewFlags(BasePermission):
    """Reviewers: users granted the right to change duplicate flags (superusers too)."""

    message = "Only reviewers can decide on duplicate flags."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(REVIEW_PERMISSION))
