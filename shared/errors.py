"""Errors the staff API and the MCP tools report, as RFC 9457 problem details.

Each carries an HTTP status, a stable ``type``, an English ``title`` and a Spanish
``detail`` that a FastService user can act on. Personal data (phones, message text)
never goes into them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.db import DatabaseUnavailable


class ApiError(Exception):
    status = 500
    type = "/problems/internal"
    title = "Internal error"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return body


class InvalidParameter(ApiError):
    status = 400
    type = "/problems/invalid-parameter"
    title = "Invalid parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail, parameter=parameter)


class OrderNotFound(ApiError):
    status = 404
    type = "/problems/order-not-found"
    title = "Order not found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"No existe la orden {order_id}. Revisá el número de ticket.")


class CustomerNotFound(ApiError):
    status = 404
    type = "/problems/customer-not-found"
    title = "Customer not found"

    def __init__(self, customer_id: int) -> None:
        super().__init__(f"No existe el cliente {customer_id}.")


def phone_reasons(fields_tried: Sequence[Mapping[str, object]]) -> str:
    """Why no phone field is usable, one clause per field (``Telefono1: vacío; Telefono2: ...``)."""
    return "; ".join(f"{f['field']}: {f['reason']}" for f in fields_tried)


class NoUsablePhone(ApiError):
    status = 422
    type = "/problems/no-usable-phone"
    title = "Customer has no usable phone"

    def __init__(self, fields_tried: Sequence[Mapping[str, object]]) -> None:
        reasons = phone_reasons(fields_tried)
        super().__init__(
            f"El cliente no tiene un teléfono que WhatsApp pueda usar ({reasons}). "
            "Cargá un celular con código de área en Telefono1 o Telefono2 de la ficha del cliente.",
            fieldsTried=fields_tried)


class Unavailable(ApiError):
    status = 503
    type = "/problems/database-unavailable"
    title = "Database unavailable"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"La base de datos no responde en este momento. Probá de nuevo en {retry_after} segundos.")
        self.retry_after = retry_after


def as_api_error(exc: Exception) -> ApiError:
    """The problem to report for ``exc`` (a database outage becomes 503 with ``Retry-After``)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, DatabaseUnavailable):
        return Unavailable(exc.retry_after)
    return ApiError("Ocurrió un error inesperado. Ya quedó registrado; probá de nuevo en unos minutos.")
