"""How API responses are written."""

from rest_framework.renderers import JSONRenderer


class _AsciiJSONRenderer(JSONRenderer):
    ensure_ascii = True


class ApiJSONRenderer(JSONRenderer):
    """DRF's JSON renderer, which never fails on text that is not valid Unicode.

    Input is checked before it is stored, but some refusals quote the input
    back (DRF's choice fields: '"..." is not a valid choice.'). A lone
    surrogate in such a message cannot be encoded as UTF-8; written as a
    \\u escape it is still valid JSON, and the refusal still reaches the client.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)
