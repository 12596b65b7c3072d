"""Odoo's server errors as the stand-in raises and serialises them.

:class:`OdooError` carries what Odoo puts in a JSON-RPC ``error`` object; the factory
functions below build the errors seen in the wire recordings with their exact ``name``,
``message`` and ``arguments`` (tracebacks in ``debug`` are shortened to their last line,
as in the recordings).
"""

from __future__ import annotations

from typing import Any

SERVER_ERROR = "Odoo Server Error"
MANDATORY_FIELD_MESSAGE = (
    "The operation cannot be completed:\n"
    "- Create/update: a mandatory field is not set.\n"
    "- Delete: another model requires the record being deleted. If possible, archive it instead.\n"
    "\n"
    "Model: {model_description} ({model})\n"
    "Field: {field_description} ({field})\n"
)
ACCESS_RIGHTS_MESSAGE = (
    "You are not allowed to {verb} '{description}' ({model}) records.\n\n"
    "This operation is allowed for the following groups:\n\t- {group}\n\n"
    "Contact your administrator to request access if necessary."
)


class OdooError(Exception):
    """An error answered as a JSON-RPC ``error`` object (HTTP 200)."""

    def __init__(self, name: str, message: str, *, arguments: list[Any] | None = None,
                 exc_repr: str | None = None, code: int = 200,
                 http_message: str = SERVER_ERROR, null_id: bool = False) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.arguments = [message] if arguments is None else arguments
        short = name.rsplit(".", 1)[-1] if name.startswith("builtins.") else name
        self.exc_repr = exc_repr if exc_repr is not None else f"{short}: {message}"
        self.code = code
        self.http_message = http_message
        #: Odoo answers some errors (session expired, not found) with ``"id": null``
        self.null_id = null_id

    def to_error(self) -> dict[str, Any]:
        """The ``error`` member of the JSON-RPC answer."""
        lines = [line for line in self.exc_repr.splitlines() if line.strip()]
        debug = "Traceback (most recent call last):\n  (frames omitted)\n" + (lines[-1] if lines else "")
        return {
            "code": self.code,
            "message": self.http_message,
            "data": {
                "name": self.name,
                "debug": debug,
                "message": self.message,
                "arguments": self.arguments,
                "context": {},
            },
        }


def access_denied() -> OdooError:
    """Wrong login or password on an authenticated call."""
    return OdooError("odoo.exceptions.AccessDenied", "Access Denied")


def access_error(message: str) -> OdooError:
    """An ``odoo.exceptions.AccessError`` with ``message``."""
    return OdooError("odoo.exceptions.AccessError", message)


def access_rights_error(model: str, description: str, verb: str, group: str) -> OdooError:
    """The ACL error a user without the group gets on ``model``."""
    return access_error(ACCESS_RIGHTS_MESSAGE.format(verb=verb, description=description,
                                                     model=model, group=group))


def private_method(method: str) -> OdooError:
    """A method with a leading underscore called over RPC."""
    return access_error(f"Private methods (such as {method}) cannot be called remotely.")


def user_error(message: str) -> OdooError:
    """An ``odoo.exceptions.UserError``."""
    return OdooError("odoo.exceptions.UserError", message)


def unknown_model(model: str) -> OdooError:
    """A model name that does not exist, over ``/jsonrpc``."""
    return user_error(f"Object {model} doesn't exist")


def validation_error(message: str) -> OdooError:
    """An ``odoo.exceptions.ValidationError``."""
    return OdooError("odoo.exceptions.ValidationError", message)


def mandatory_field(model: str, model_description: str, field: str, field_description: str) -> OdooError:
    """A required field left empty on create/write."""
    return validation_error(MANDATORY_FIELD_MESSAGE.format(
        model=model, model_description=model_description, field=field,
        field_description=field_description))


def missing_error(model: str, ids: list[int], uid: int) -> OdooError:
    """Write/unlink (or, in 16, read) on records that do not exist."""
    inner = ", ".join(str(i) for i in ids) + ("," if len(ids) == 1 else "")
    message = f"Record does not exist or has been deleted.\n(Record: {model}({inner}), User: {uid})"
    return OdooError("odoo.exceptions.MissingError", message)


def value_error(message: str) -> OdooError:
    """A ``builtins.ValueError`` (unknown field, bad domain, ...)."""
    return OdooError("builtins.ValueError", message)


def invalid_field(model: str, field: str) -> OdooError:
    """A field name the model does not have."""
    return value_error(f"Invalid field '{field}' on model '{model}'")


def attribute_error(message: str) -> OdooError:
    """A ``builtins.AttributeError`` (unknown method)."""
    return OdooError("builtins.AttributeError", message)


def type_error(message: str) -> OdooError:
    """A ``builtins.TypeError`` (wrong arguments for a method)."""
    return OdooError("builtins.TypeError", message)


def key_error(key: str) -> OdooError:
    """A ``builtins.KeyError`` (unknown service, unknown model over call_kw)."""
    return OdooError("builtins.KeyError", key, exc_repr=f"KeyError: {key!r}")


def operational_error(db: str) -> OdooError:
    """The psycopg2 error Odoo leaks for a database that does not exist."""
    message = (f'connection to server at "127.0.0.1", port 5432 failed: FATAL:  '
               f'database "{db}" does not exist\n')
    return OdooError("psycopg2.OperationalError", message)


def invalid_text_representation(table: str, value: str) -> OdooError:
    """What PostgreSQL says when ids are not integers (e.g. ``read("not-an-id")``)."""
    first = value[:1]
    chars = ", ".join(f"'{c}'" for c in value[:3])
    pointer = " " * 61 + "^"
    message = (f'invalid input syntax for type integer: "{first}"\n'
               f'LINE 1: ..."{table}" WHERE ("{table}"."id" IN ({chars}, ...\n{pointer}\n')
    return OdooError("psycopg2.errors.InvalidTextRepresentation", message)


def session_expired() -> OdooError:
    """A web-client call without a valid session."""
    return OdooError("odoo.http.SessionExpiredException", "Session expired", code=100,
                     http_message="Odoo Session Expired", null_id=True)


def not_found() -> OdooError:
    """werkzeug's NotFound inside a JSON route (18: unknown model over call_kw)."""
    message = ("404 Not Found: The requested URL was not found on the server. If you entered "
               "the URL manually please check your spelling and try again.")
    return OdooError("werkzeug.exceptions.NotFound", message, arguments=[], code=404,
                     http_message="404: Not Found", null_id=True)
