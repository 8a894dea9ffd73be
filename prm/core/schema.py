"""OpenAPI post-processing: the error answers every API operation can give are documented."""

ERROR_BODY = {
    "type": "object",
    "description": '`{"detail": …}`, or for 400 the invalid fields with their messages.',
    "additionalProperties": True,
}
ERRORS = {
    "400": "The request is invalid (query parameters or body).",
    "401": "No valid credentials: sign in or send a valid, unexpired API token.",
    "403": "The caller's role may not do this.",
    "404": "Not found, or not visible to the caller (including a page number past the end).",
    "429": "Too many requests.",
}


def error_responses_add(result, generator, request, public):
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": ERROR_BODY}},
                    },
                )
    return result
