/**
 * What staff read when WhatsApp says no, or sends something the panel cannot show: Spanish,
 * with what to do next. Meta's codes from "WhatsApp error codes" (Cloud API, which ACS relays):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/
 * Meta's own English message is never shown: it is not written for the shop's staff.
 */

const META_ERRORS: Record<string, string> = {
  '131047':
    'Pasaron más de 24 h desde el último mensaje del cliente; fuera de ese plazo WhatsApp solo deja mandar plantillas aprobadas. Mandale una plantilla o esperá a que el cliente escriba.',
  '131026':
    'WhatsApp no lo pudo entregar: el número no tiene WhatsApp, usa una versión vieja o no aceptó las condiciones nuevas. Confirmá el celular con el cliente por otro medio.',
  '131049':
    'WhatsApp decidió no entregarlo para no saturar al cliente con mensajes de empresas. No lo reenvíes enseguida: esperá a que el cliente escriba o probá en otro momento.',
  '131050': 'El cliente pidió no recibir mensajes de marketing del taller. Escribile solo por su orden, o por otro medio.',
  '131051': 'WhatsApp no admite ese tipo de mensaje. Mandalo como texto, imagen o documento.',
  '131052': 'No se pudo descargar el archivo que mandó el cliente. Pedile que lo vuelva a enviar.',
  '131053':
    'WhatsApp no aceptó el archivo (formato o tamaño no admitido). Probá con una imagen JPG/PNG o un PDF más chico.',
  '130472':
    'WhatsApp no lo entregó porque el número del cliente está en una prueba de Meta que limita los mensajes de empresas. Esperá a que el cliente escriba, o contactalo por otro medio.',
  '131000': 'WhatsApp tuvo un error interno y no lo entregó. Probá de nuevo en unos minutos.',
  '131048':
    'WhatsApp limitó los envíos del número del taller porque muchos clientes bloquearon o denunciaron mensajes. Avisá al administrador antes de seguir enviando.',
  '131056': 'Se mandaron demasiados mensajes seguidos a este cliente. Esperá un rato antes de volver a escribirle.',
  '130429': 'Se superó el límite de envíos por segundo de WhatsApp. Probá de nuevo en unos minutos.',
  '131042': 'Hay un problema con el medio de pago de la cuenta de WhatsApp Business. Avisá al administrador.',
  '131031': 'La cuenta de WhatsApp Business del taller está bloqueada. Avisá al administrador.',
  '131021': 'El mensaje iba dirigido al mismo número del taller: revisá el celular del cliente.',
  '131008': 'Al mensaje le faltaba un dato obligatorio. Avisá al administrador.',
  '131009': 'El mensaje tenía un dato con un valor no válido. Avisá al administrador.',
  '132000': 'La plantilla no tenía la cantidad de datos que espera. Avisá al administrador.',
  '132001': 'La plantilla no existe o todavía no está aprobada en ese idioma. Avisá al administrador.',
  '132015': 'La plantilla está pausada por baja calidad. Usá otra o avisá al administrador.',
  '132016': 'La plantilla fue desactivada por baja calidad. Usá otra o avisá al administrador.',
  '133010': 'El número del taller no está registrado en WhatsApp. Avisá al administrador.',
  '368': 'Meta restringió temporalmente la cuenta del taller por sus políticas. Avisá al administrador.',
};

/** Why a message was not delivered, in Spanish, with what to do. */
export function explainFailure(code: string | null): string {
  const trimmed = code?.trim() ?? '';
  const known = META_ERRORS[trimmed];
  if (known) return `${known} (código ${trimmed})`;
  if (trimmed) return `WhatsApp no lo entregó (código ${trimmed}). Si vuelve a pasar, avisá al administrador.`;
  return 'WhatsApp no informó el motivo. Si vuelve a pasar, avisá al administrador.';
}

const TYPE_NAMES: Record<string, string> = {
  location: '📍 Ubicación compartida',
  contacts: '👤 Contacto compartido',
  contact: '👤 Contacto compartido',
  order: '🛒 Pedido del catálogo',
  poll: '📊 Encuesta',
};

/**
 * What to show for a message whose content the panel cannot display (a type WhatsApp added, a
 * location…): never the raw type name.
 */
export function unknownTypeText(type: string): string {
  if (type === 'unrecorded') return 'Mensaje enviado por el taller (su texto no llega a FastService)';
  const name = TYPE_NAMES[type.toLowerCase()];
  if (name) return `${name}: el panel todavía no lo muestra. Miralo en WhatsApp o pedile al cliente que lo mande como texto.`;
  return 'Un tipo de mensaje que el panel todavía no puede mostrar. Pedile al cliente que lo mande como texto o foto.';
}

export const NO_PHONE_ACTION = 'Cargá un celular en la ficha del cliente en FastService.';
