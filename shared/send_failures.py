"""Why a message did not reach the customer, in words staff can act on (Spanish).

ACS reports Meta's error code as a string (``error.channelCode`` of a ``Failed`` delivery
status, or inside an HTTP error's body); Meta's own text is English and technical. The
same reason is shown for a send ACS refused and for a delivery that failed later.
"""

from __future__ import annotations

from typing import Final

REASONS: Final[dict[str, str]] = {
    "131047": "Pasaron más de 24 horas desde el último mensaje del cliente: solo se puede enviar una plantilla "
              "aprobada. Elegí una plantilla o esperá a que el cliente escriba.",
    "470": "Pasaron más de 24 horas desde el último mensaje del cliente: solo se puede enviar una plantilla "
           "aprobada. Elegí una plantilla o esperá a que el cliente escriba.",
    "131026": "WhatsApp no pudo entregar el mensaje a ese número (puede no tener WhatsApp, o no aceptar "
              "mensajes de empresas). Revisá el teléfono del cliente o llamalo.",
    "131049": "WhatsApp no entregó el mensaje para cuidar la experiencia del cliente (límite de mensajes de "
              "empresas). Probá más tarde o contactalo por otro medio.",
    "131048": "WhatsApp limitó los envíos de este número por reportes de spam. Probá más tarde.",
    "131051": "WhatsApp no admite este tipo de mensaje. Enviá texto o una plantilla.",
    "131030": "El número del cliente no está habilitado para recibir mensajes de esta cuenta (modo de prueba). "
              "Revisá el formato de envío (WHATSAPP_SEND_FORMAT) o agregá el número en WhatsApp Manager.",
    "131056": "Se enviaron demasiados mensajes a este cliente en poco tiempo. Esperá unos minutos.",
    "132000": "La plantilla no recibió todos sus datos. Revisá la plantilla elegida.",
    "132001": "La plantilla no existe o no está aprobada en ese idioma. Sincronizá las plantillas y elegí otra.",
    "132015": "La plantilla está pausada por baja calidad. Elegí otra.",
    "132016": "La plantilla fue desactivada por WhatsApp. Elegí otra.",
    "131053": "WhatsApp no pudo descargar el archivo adjunto para enviarlo. Probá de nuevo en unos minutos; si "
              "vuelve a fallar, avisá al administrador.",
    "media_missing": "El archivo adjunto ya no está en el almacenamiento, así que no se envió. Subilo de nuevo.",
    "unauthorized": "El servicio de mensajería rechazó la credencial de la app. Avisá al administrador "
                    "(permiso sobre Azure Communication Services).",
    "not_configured": "El envío por WhatsApp no está configurado (faltan ACS_ENDPOINT o WHATSAPP_CHANNEL_ID). "
                      "Avisá al administrador.",
    "retry_exhausted": "El servicio de mensajería no respondió a tiempo y el mensaje no salió. Probá de nuevo.",
    "not_confirmed": "No pudimos confirmar si el mensaje salió. Revisá la conversación antes de reenviarlo.",
}
GENERIC: Final = "El mensaje no se pudo enviar. Probá de nuevo; si vuelve a fallar, avisá al administrador."


def reason(code: str | None) -> str:
    """The Spanish reason for a failure code (Meta's, or one of ours), a generic one if unknown."""
    return REASONS.get((code or "").strip(), GENERIC)
