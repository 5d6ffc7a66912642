/** What FastService imports: the drop-in panel and inbox, their client and types. */
export { WhatsAppPanel, type WhatsAppPanelProps } from './WhatsAppPanel';
export { WhatsAppInbox, type WhatsAppInboxProps } from './WhatsAppInbox';
export {
  createWhatsAppService,
  WhatsAppApiError,
  type WhatsAppService,
  type WhatsAppServiceOptions,
} from '../../services/whatsappService';
export type {
  OrderWhatsApp,
  Message,
  MessagePage,
  SyncResult,
  InboxCounts,
  InboxTab,
  InboxViewTab,
  InboxNotice,
  InboxQuoteTap,
  TriageDecision,
  Send,
  SendRequest,
  OrderTemplates,
  TemplateOption,
  ReplyProposal,
  Consent,
  OrderNotification,
  OrderNotifications,
  QuoteReply,
} from '../../types/whatsapp';
