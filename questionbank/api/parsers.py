"""How API request bodies are read."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NESTED_TOO_DEEPLY_MESSAGE = "JSON parse error - the document is nested too deeply."


class ApiJSONParser(JSONParser):
    """DRF's JSON parser, with a 400 for documents nested too deeply to parse.

    The json module recurses once per nesting level and gives up with a
    RecursionError, which is not a ValueError, so DRF would let it crash the
    request. A body of "[" repeated a few thousand times is enough.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError as exc:
            raise ParseError(NESTED_TOO_DEEPLY_MESSAGE) from exc
