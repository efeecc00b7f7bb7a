"""The HTTP edge shared by the handlers: resolver set-up, error mapping, callers, request/response shapes."""
