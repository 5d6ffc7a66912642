/** What FastService imports: the drop-in panel, its client and types. */
export { WhatsAppPanel, type WhatsAppPanelProps } from './WhatsAppPanel';
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
  Send,
  SendRequest,
  OrderTemplates,
  TemplateOption,
  ReplyProposal,
} from '../../types/whatsapp';
