class QuestionBankError(Exception):
    """A request the question bank refuses; ``message`` is safe to show to users."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class PermissionDenied(QuestionBankError):
    status_code = 403
    code = "permission_denied"


class ServiceUnavailable(QuestionBankError):
    status_code = 503
    code = "unavailable"
