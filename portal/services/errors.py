"""The one shape of a refusal a person can act on."""


class FieldError(ValueError):
    """Input a service refuses: `message` in words for the person, `field` the form input it
    is about (None when it is about no one input). Views put it on that field."""

    def __init__(self, message, field=None):
        super().__init__(str(message))
        self.message, self.field = message, field
