/**
 * Types of the FastService WhatsApp staff API, mirroring the schemas of
 * `shared/openapi.json` (components.schemas) field for field.
 *
 * Dates are ISO 8601 strings in UTC (`format: date-time`); nullable fields are
 * `T | null` exactly where the contract says `type: [T, "null"]` or `oneOf null`.
 */

/** `Problem`: RFC 9457 problem details; `detail` is Spanish, for the person using FastService. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  fieldsTried?: PhoneFieldProblem[];
  parameter?: string;
  /** customer-not-identified: the customers who share the chat's phone. */
  candidates?: CustomerCandidate[];
  /** invalid-export: the line of the file at fault. */
  line?: number;
}

/** `PhoneFieldProblem` */
export interface PhoneFieldProblem {
  field: 'Telefono1' | 'Telefono2';
  reason: string;
}

/** `SyncResult.status` */
export type SyncStatus = 'success' | 'no_messages' | 'failed';

/** `SyncResult`: answer of `POST /api/whatsapp/sync?orderId=N`. */
export interface SyncResult {
  orderId: number;
  /** Messages that joined this order's conversation since the last sync. */
  messagesReceived: number;
  lastSyncAt: string;
  summaryGenerated: boolean;
  /** Why no summary was written, when one was wanted. */
  summaryError?: string | null;
  status: SyncStatus;
}

/** `MessagePage`: answer of `GET /api/whatsapp/messages/{orderId}`. */
export interface MessagePage {
  orderId: number;
  /** Chronological order within the page. */
  messages: Message[];
  /** Pass as `before` to get older messages; null on the oldest page. */
  nextCursor: string | null;
}

/** `Message.direction` */
export type MessageDirection = 'inbound' | 'outbound';

/**
 * `Message.type`: text, image, document, video, audio, sticker, reaction,
 * interactive, button, or a type WhatsApp adds later (so any string).
 */
export type MessageType =
  | 'text'
  | 'image'
  | 'document'
  | 'video'
  | 'audio'
  | 'sticker'
  | 'reaction'
  | 'interactive'
  | 'button'
  /** The shop's message known only from its delivery status: ACS does not publish what the business sends. */
  | 'unrecorded'
  | (string & {});

/** `Message` */
export interface Message {
  id: number;
  whatsappMessageId?: string | null;
  direction: MessageDirection;
  type: MessageType;
  text: string | null;
  /** When WhatsApp says it was sent (UTC). */
  timestamp: string;
  /** When FastService stored it (UTC). */
  receivedAt: string;
  media: Media | null;
  /** WhatsApp id of the message this one replies to. */
  replyTo: string | null;
  reaction: Reaction | null;
  choice: Choice | null;
  status: DeliveryStatus | null;
  /** The staff member who sent it from the panel (null for customers' messages and other tools'). */
  sentBy?: string | null;
}

/**
 * Where a media file is: still coming from WhatsApp, kept, or lost with a reason (issue 16); a photo or
 * document the shop sends is `sending` (or `failed`/`unknown`, as its send) until ACS accepted it.
 */
export type MediaState = 'pending' | 'downloading' | 'stored' | 'failed' | 'expired' | 'sending' | 'unknown';

/** `Media` */
export interface Media {
  kind: string;
  mimeType: string | null;
  fileName: string | null;
  caption: string | null;
  /** Absent on messages stored before media were kept. */
  id?: number;
  state?: MediaState;
  /** Why it is not stored (Spanish). */
  reason?: string | null;
  /** The type its bytes proved (stored items). */
  contentType?: string | null;
  size?: number | null;
  /** `/api/whatsapp/media/{id}`: fetched with the same sign-in as the rest of the API. */
  url?: string | null;
  /** A send not yet accepted (outbox stand-in): its upload, to send it again without the file. */
  blobRef?: string | null;
}

/** `Reaction` */
export interface Reaction {
  emoji: string | null;
  messageId: string | null;
}

/** `Choice` */
export interface Choice {
  title: string | null;
  payload: string | null;
}

/** `DeliveryStatus.state`: sent, delivered, read or failed (or a newer state). */
export type DeliveryState = 'sent' | 'delivered' | 'read' | 'failed' | (string & {});

/** `DeliveryStatus` */
export interface DeliveryStatus {
  state: DeliveryState;
  at: string;
  /** Meta's code when failed, e.g. 131047 (outside the 24-hour window). */
  errorCode: string | null;
  errorMessage: string | null;
  /** When failed: why, in Spanish, and what to do (the backend's text; newer than `errorCode`). */
  reason?: string | null;
}

/** `OrderWhatsApp.customer` */
export interface OrderCustomer {
  id: number;
  name: string;
}

/** `OrderWhatsApp.phone.source` (`whatsapp`: the number the customer wrote from). */
export type PhoneSource = 'Telefono1' | 'Telefono2' | 'whatsapp';

/** `OrderWhatsApp.phoneKind` */
export type PhoneKind = 'mobile' | 'landline' | 'unknown';

/** `OrderWhatsApp.phone` */
export interface OrderPhone {
  e164: string;
  /** Digits only. */
  whatsappId: string;
  source: PhoneSource;
}

/** `OrderWhatsApp.summary`: the latest "WhatsApp Resumen". */
export interface OrderSummary {
  text: string;
  createdAt: string;
  messageCount: number;
  provider: string;
}

/** `OrderWhatsApp.customerServiceWindow` */
export interface CustomerServiceWindow {
  /** Free-form replies are allowed (24 h since the customer's last message). */
  open: boolean;
  until: string | null;
  lastInboundAt: string | null;
}

/** `OrderWhatsApp`: answer of `GET /api/whatsapp/orders/{orderId}`. */
export interface OrderWhatsApp {
  orderId: number;
  /** The order is open (FechaEntrega empty). */
  orderOpen: boolean;
  customer: OrderCustomer;
  phone: OrderPhone | null;
  /**
   * What kind of line `phone` is (assumed field, added by the backend): a landline gets no wa.me
   * link. Absent (older API) or 'unknown' = offer the link as before.
   */
  phoneKind?: PhoneKind;
  /** Why there is no usable phone, in Spanish. */
  phoneProblem: string | null;
  waMeUrl: string | null;
  waMeUrlWithGreeting: string | null;
  summary: OrderSummary | null;
  /** Messages arrived that the latest summary does not cover, or `unlinkedMessages` wait for a sync. */
  hasNewMessages: boolean;
  messageCount: number;
  /** The customer's stored messages that no order holds yet (several open orders...): a sync takes them. */
  unlinkedMessages: number;
  lastSyncAt: string | null;
  customerServiceWindow: CustomerServiceWindow;
}

/** `Health.status` */
export type HealthStatus = 'ok' | 'degraded' | 'unavailable';

/** `Health`: answer of `GET /api/health`. */
export interface Health {
  status: HealthStatus;
  database: Record<string, unknown>;
  aiProvider: string;
  messagingClient: string;
  odbcDrivers?: string[] | null;
}

// --- history import (POST /api/whatsapp/imports/preview, /api/whatsapp/imports) ---------------------

/** `CustomerCandidate` */
export interface CustomerCandidate {
  customerId: number;
  name: string;
}

/** `ImportParticipant`: one author of the chat export. */
export interface ImportParticipant {
  name: string;
  messages: number;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
  /** The name is a phone number (a contact the exporting phone had not saved). */
  looksLikePhone: boolean;
}

/** `ImportPreview.customer` */
export interface ImportCustomer {
  customerId: number;
  name: string;
  matchedBy: 'fileName' | 'participant' | 'customer' | 'order';
  phone: string | null;
  /** Whether the file's phone is one of the customer's (null: the file names none). */
  filePhoneIsCustomers: boolean | null;
}

/** `PreviousImport`: this very file was imported (or started) before. */
export interface PreviousImport {
  importId: number;
  state: 'running' | 'completed' | 'failed';
  customerId: number;
  shopParticipant: string;
  messagesImported: number;
  importedBy: string | null;
  startedAt: string | null;
  completedAt: string | null;
}

/** `ImportPreview`: answer of `POST /api/whatsapp/imports/preview`. */
export interface ImportPreview {
  fileName: string;
  format: 'txt' | 'zip';
  platform: 'android' | 'ios';
  participants: ImportParticipant[];
  messages: number;
  systemLines: number;
  attachments: number;
  mediaFiles: number;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
  customer: ImportCustomer | null;
  customerProblem: string | null;
  candidates: CustomerCandidate[];
  suggestedShopParticipant: string | null;
  previousImport: PreviousImport | null;
  maxMessages: number;
}

/** `ImportResult`: answer of `POST /api/whatsapp/imports`. */
export interface ImportResult {
  importId: number;
  state: 'completed';
  /** This file was imported before: nothing was added. */
  alreadyImported: boolean;
  fileName: string;
  customerId: number;
  customerName: string;
  shopParticipant: string;
  messagesInFile: number;
  messagesImported: number;
  addedNow: number;
  alreadyStored: number;
  /** Messages ACS had delivered (same direction, minute and text): kept once. */
  duplicatesOfLive: number;
  systemLines: number;
  orders: { orderId: number; messages: number }[];
  unlinked: number;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
  completedAt: string | null;
  /** The .zip's photos and files by state after this request; `pending` ones wait for storage (import again). */
  attachments: { stored: number; failed: number; pending: number };
}

// --- the inbox (GET /api/whatsapp/inbox…): conversations no order holds, and who is waiting --------------

export type InboxTab = 'unassigned' | 'ambiguous' | 'multiple_orders' | 'awaiting_reply';
/** The inbox's tabs as staff see them: the conversation tabs and «Avisos» (offered notifications, quote taps). */
export type InboxViewTab = InboxTab | 'notices';

/** A message as one line of text (media as placeholders). */
export interface MessagePreview {
  id: number;
  direction: MessageDirection;
  at: string;
  text: string;
}

export interface PendingProposal {
  id: number;
  customerId: number;
  customerName: string | null;
  orderId: number | null;
  reason: string | null;
  proposedAt: string;
}

/** A sender no customer holds (tabs unassigned and ambiguous). */
export interface InboxSender {
  /** `phone:<key>` or `bsuid:<id>`: what the decisions take. */
  sender: string;
  phone: string | null;
  bsuid: string | null;
  messageCount: number;
  lastMessage: MessagePreview;
  /** A person had assigned this sender to a customer FastService deleted since ("cliente eliminado"). */
  deletedCustomerId: number | null;
  proposals: PendingProposal[];
  /** ambiguous only: the customers sharing the line. */
  candidates?: { customerId: number; name: string | null; exists: boolean }[];
}

/** A customer with messages no order holds (tab multiple_orders). */
export interface InboxCustomer {
  customerId: number;
  customerName: string | null;
  customerExists: boolean;
  messageCount: number;
  lastMessage: MessagePreview;
  openOrders: { orderId: number; createdAt: string }[];
}

/** An order whose customer wrote last and got no answer (tab awaiting_reply). */
export interface InboxAwaiting {
  orderId: number;
  customerId: number;
  customer: string;
  waitingSince: string;
  windowClosesAt: string;
  windowOpen: boolean;
  secondsLeft: number;
  orderOpen: boolean;
  lastMessage: MessagePreview;
}

export interface InboxPage<T> {
  tab: InboxTab;
  items: T[];
  nextCursor: string | null;
}

export interface InboxItems {
  unassigned: InboxSender;
  ambiguous: InboxSender;
  multiple_orders: InboxCustomer;
  awaiting_reply: InboxAwaiting;
}

export interface InboxCounts {
  unassigned: number;
  ambiguous: number;
  multipleOrders: number;
  /** Orders waiting whose 24-hour window is still open. */
  awaitingReply: number;
  proposals: number;
  /** Order notifications offered to staff, waiting to be sent or dismissed (absent on servers before issue 18's inbox). */
  notices?: number;
}

export interface StaffMember {
  id: string | null;
  name: string | null;
}

/** A staff decision in the inbox (who, when, what changed). */
export interface TriageDecision {
  id: number;
  kind: 'assign' | 'pick_candidate' | 'move';
  sender: string | null;
  customerId: number;
  customerName: string | null;
  customerExists: boolean;
  orderId: number | null;
  messageCount: number;
  fromMessageId: number | null;
  toMessageId: number | null;
  source: 'staff' | 'agent-proposal';
  proposalId: number | null;
  decidedBy: StaffMember | null;
  decidedAt: string;
  undoneAt: string | null;
  undoneBy: StaffMember | null;
  undoneCount: number | null;
}

export interface InboxMessagePage {
  messages: Message[];
  nextCursor: string | null;
}

// --- Sending (issue 15): the composer's endpoints ---------------------------------------------

/** `Send.state` */
export type SendState = 'pending' | 'sending' | 'sent' | 'failed' | 'unknown';

/** `PendingMessage`: the bubble of a send ACS has not accepted (`id: null`). */
export interface PendingMessage {
  id: null;
  whatsappMessageId?: string | null;
  direction: 'outbound';
  /** `image`/`document` for a photo or document send (its caption is `media.caption`). */
  type: 'text' | 'template' | 'image' | 'document';
  text: string | null;
  timestamp: string;
  receivedAt?: null;
  media?: Media | null;
  replyTo?: null;
  reaction?: null;
  choice?: null;
  status: {
    state: 'sending' | 'failed' | 'unknown' | 'sent';
    at?: string | null;
    errorCode?: string | null;
    errorMessage?: null;
    reason: string | null;
  };
  sentBy: string | null;
}

/** `Send`: one requested send (an outbox row), as `POST …/messages` and `GET …/outbox` answer it. */
export interface Send {
  id: number;
  clientRequestId: string;
  orderId: number;
  state: SendState;
  kind: 'text' | 'template' | 'media';
  /** ACS's message id once accepted. */
  messageId: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  errorCode: string | null;
  /** Spanish: why it failed and what to do. */
  reason: string | null;
  createdAt: string;
  proposalId: number | null;
  /** The stored message once sent, else a stand-in bubble with `id: null`. */
  message: Message | PendingMessage;
}

/** `SendList`: answer of `GET …/outbox`. */
export interface SendList {
  orderId: number;
  sends: Send[];
}

/** `MediaChoice`: an upload (`UploadedMedia.blobRef`) to send, with its caption and a document's name. */
export interface MediaChoice {
  blobRef: string;
  caption?: string | null;
  fileName?: string | null;
}

/** `SendRequest` */
export type SendRequest =
  | { clientRequestId: string; text: string }
  | { clientRequestId: string; template: { purpose: string } | { name: string; language: string } }
  | { clientRequestId: string; media: MediaChoice };

/** `UploadedMedia`: answer of `POST /api/whatsapp/media` (a file stored for sending). */
export interface UploadedMedia {
  blobRef: string;
  kind: 'image' | 'document';
  contentType: string;
  size: number;
  fileName: string | null;
}

/** `Window` */
export interface ReplyWindow {
  open: boolean;
  until: string | null;
  lastInboundAt: string | null;
}

/** `TemplateOption` */
export interface TemplateOption {
  purpose: string | null;
  name: string;
  language: string;
  category: string | null;
  /** The body filled from the order (a placeholder where a value is missing). */
  preview: string;
  /** Order values the template needs and the order lacks (`presupuesto`, `cliente`, `ticket`, or `{{n}}`). */
  missing: string[];
  sendable: boolean;
}

/** `OrderTemplates`: answer of `GET …/templates`. */
export interface OrderTemplates {
  orderId: number;
  window: ReplyWindow;
  templates: TemplateOption[];
}

/** OpenAPI `Proposal`: a reply the agent proposed (named apart from the inbox's triage proposals). */
export interface ReplyProposal {
  id: number;
  orderId: number;
  kind: 'text' | 'template';
  text: string | null;
  templatePurpose: string | null;
  proposedBy: string;
  state: 'proposed' | 'sent' | 'discarded';
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  outboxId: number | null;
}

/** OpenAPI `ProposalList` */
export interface ReplyProposalList {
  orderId: number;
  proposals: ReplyProposal[];
}

// --- Order notifications, consent and quote taps (issue 18) -----------------------------------

/** `Consent.state`: notifications go only to `opted_in`. */
export type ConsentState = 'opted_in' | 'opted_out' | 'unknown';

/** `Consent`: the latest consent of the order's customer (or of the phone it would go to). */
export interface Consent {
  state: ConsentState;
  source: 'staff' | 'whatsapp' | 'import' | null;
  at: string | null;
  /** Who recorded it (a staff member's name), when staff did. */
  by: string | null;
  /** How the customer agreed or withdrew, e.g. "En el mostrador". */
  evidence: string | null;
}

export type NotificationState = 'queued' | 'held_quiet_hours' | 'offered' | 'sent' | 'skipped' | 'superseded';

/** `Notification`: one automatic or offered message about the order's status. */
export interface OrderNotification {
  id: number;
  orderId: number;
  kind: 'status' | 'reminder' | 'quote_outdated';
  /** Template purpose (presupuestado, reparado…) or presupuesto_vencido. */
  purpose: string;
  mode: 'auto' | 'offer';
  state: NotificationState;
  /** Spanish: why it was skipped. */
  reason: string | null;
  changedAt: string | null;
  dueAt: string | null;
  outboxId: number | null;
  sendState: string | null;
  decidedBy: string | null;
  createdAt: string | null;
}

/** `QuoteReply`: a tap on the quote template's "Acepto" / "No, gracias". */
export interface QuoteReply {
  id: number;
  messageId: number;
  decision: 'accepted' | 'rejected' | null;
  outcome: 'recorded' | 'duplicate' | 'outdated' | 'forged' | 'unsigned' | 'no_key' | 'no_order';
  quoteRef: number | null;
  amount: number | null;
  novedadId: number | null;
  at: string | null;
}

/** `OrderNotifications`: answer of `GET …/notifications` and `POST …/consent`. */
export interface OrderNotifications {
  orderId: number;
  consent: Consent;
  notifications: OrderNotification[];
  quoteReplies: QuoteReply[];
}

/** `NotificationSent`: answer of `POST …/notifications/{id}/send`. */
export interface NotificationSent {
  notification: OrderNotification;
  send: Send;
  /** This press found it sent already (a double click, or a colleague first): the same send, not a second. */
  alreadySent?: boolean;
}

/** `ConsentRequest` */
export interface ConsentRequest {
  state: 'opted_in' | 'opted_out';
  evidence: string;
}

// --- The inbox's «Avisos»: offered notifications and quote taps across orders -------------------

/** `OfferedNotice`: an offered notification as the inbox lists it. */
export interface InboxNotice {
  id: number;
  orderId: number;
  /** null when FastService deleted the order. */
  customerId: number | null;
  customerFirstName: string | null;
  kind: OrderNotification['kind'];
  purpose: string;
  /** FastService's name of the status the order changed to. */
  status: string | null;
  offeredAt: string | null;
  changedAt: string | null;
  /** What the customer would read (the template filled for the order). */
  preview: string | null;
  consent: Consent;
  /** Whether «Enviar» can work now; `problem` says why not. */
  sendable: boolean;
  problem: string | null;
}

/** `QuoteTap`: a customer's tap on the quote's buttons, as the inbox lists it. */
export interface InboxQuoteTap {
  id: number;
  orderId: number;
  customerFirstName: string | null;
  decision: 'accepted' | 'rejected' | null;
  outcome: 'recorded' | 'outdated';
  amount: number | null;
  novedadId: number | null;
  at: string | null;
}

/** `NoticePage` / `QuoteTapPage`: a page, newest first. */
export interface KeysetPage<T> {
  items: T[];
  nextCursor: string | null;
}

/** `NotificationDismissed`: answer of `POST …/notifications/{id}/dismiss`. */
export interface NotificationDismissed {
  notification: OrderNotification;
}
