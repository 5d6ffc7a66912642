/**
 * The shop's sends from the panel (issue 15): the composer's and the proposals' requests, their
 * bubbles until the conversation holds the stored message, and what survives a reload.
 *
 * Exactly once, from the browser's side:
 * - every compose action gets one `clientRequestId` (crypto.randomUUID) when it is made; a retry of
 *   that action (a failed request, a double click) sends the same id and the same body again, so
 *   the server answers the send it already made (200) instead of making a second one;
 * - a send whose outcome is `unknown` is never repeated by the panel: only a person, after an
 *   explicit confirmation, makes a NEW action (a new id) with the same content (`resend`).
 *
 * Bubbles: an action shows at once as "enviando" (before the server answers), then as the answer's
 * `message`; it disappears in the very render in which the conversation brings the stored message
 * (matched by its id or ACS's message id), so there is never a duplicate nor a gap.
 *
 * Photos and documents (issue 16): the action holds the file; its request first uploads it (`POST
 * /api/whatsapp/media`, content-addressed: the same file is one upload however often) and then sends
 * `{clientRequestId, media: {blobRef, caption, fileName}}`. A retry uploads again only if the upload
 * itself did not finish, and sends the very same body with the same id. The bubble shows the file from
 * the browser while it goes, then the stored copy from the media route.
 *
 * Freshness: while a send is not settled (sending, pending, unknown, sent but not yet listed) the
 * outbox is read every `pollIntervalMs`; a send that left the outbox is sent: its own request is
 * asked again (same id: the server answers the row with its stored message, it sends nothing).
 * After a reload, `GET …/outbox` brings back what is still sending, unconfirmed or failed (failed
 * ones of the last 24 h only).
 */
import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import { isAbortError, WhatsAppApiError, type WhatsAppService } from '../services/whatsappService';
import type { Media, Message, PendingMessage, Send, SendRequest, UploadedMedia } from '../types/whatsapp';

/** What a person asked to send. */
export type SendAction =
  | { kind: 'text'; text: string }
  | { kind: 'template'; purpose: string | null; name: string; language: string; preview: string }
  | { kind: 'proposal'; proposalId: number; text?: string; preview: string }
  /** A photo or document; `caption` is the text box (may be empty). `file` is null for a send brought back
   * after a reload: its `uploaded` file is sent again (nothing to upload). */
  | { kind: 'media'; file: File | null; caption: string; uploaded?: UploadedMedia };

/** `image` or `document`, as the file's type says (what WhatsApp will show). */
export function mediaKindOf(file: Pick<File, 'type'>): 'image' | 'document' {
  return file.type === 'image/jpeg' || file.type === 'image/png' ? 'image' : 'document';
}

export interface LocalSend {
  clientRequestId: string;
  /** null: brought back by the outbox after a reload (its request is not known here). */
  action: SendAction | null;
  createdAt: string;
  /** The request is under way. */
  posting: boolean;
  /** The server's latest word on it. */
  send: Send | null;
  /** Why the request itself failed (no answer, 4xx, 5xx). */
  error: WhatsAppApiError | null;
  /** Left the outbox (it is sent): to be dropped once the conversation is refreshed. */
  gone?: boolean;
}

/** How a send reads in the panel. */
export type SendPhase =
  | 'sending' // under way, or ACS busy (retried by the server)
  | 'sent' // ACS accepted it: ticks follow on the stored message
  | 'failed' // refused: reason + what to do
  | 'unknown' // may have gone out: a person decides
  | 'requestFailed' // the request got no usable answer: the same action can be retried safely
  | 'rejected'; // the server refused the request (4xx): nothing was sent

export function phaseOf(local: LocalSend): SendPhase {
  if (local.send) {
    const state = local.send.state;
    if (state === 'sent') return 'sent';
    // failed only because nobody could confirm it (SEND_RECONCILE_MINUTES passed): it may have gone out
    if (state === 'failed') return local.send.errorCode === 'not_confirmed' ? 'unknown' : 'failed';
    if (state === 'unknown') return 'unknown';
    return 'sending';
  }
  if (local.posting || !local.error) return 'sending';
  return local.error.retryable || local.error.unauthorized ? 'requestFailed' : 'rejected';
}

/** Text shown in the bubble. */
export function textOf(local: LocalSend): string {
  if (local.send?.message.text) return local.send.message.text;
  const action = local.action;
  if (!action) return '';
  if (action.kind === 'text') return action.text;
  if (action.kind === 'template') return action.preview;
  if (action.kind === 'media') return action.caption;
  return action.text ?? action.preview;
}

/** A media send brought back after a reload (the page no longer has the file): the same upload as a new
 * action, from the outbox's stand-in (`media.blobRef`); null for anything else. */
export function uploadedMediaOf(local: LocalSend): SendAction | null {
  const media = local.send?.kind === 'media' ? local.send.message.media : null;
  if (!media?.blobRef) return null;
  const kind = media.kind === 'image' ? 'image' : 'document';
  return {
    kind: 'media',
    file: null,
    caption: media.caption ?? '',
    uploaded: { blobRef: media.blobRef, kind, contentType: media.contentType ?? media.mimeType ?? '', size: media.size ?? 0, fileName: media.fileName },
  };
}

/** The body of a media action once its file is uploaded (the same every time it is retried). */
export function mediaRequestBody(clientRequestId: string, caption: string, uploaded: UploadedMedia): SendRequest {
  const media: { blobRef: string; caption?: string; fileName?: string } = { blobRef: uploaded.blobRef };
  if (caption.trim()) media.caption = caption;
  if (uploaded.kind === 'document' && uploaded.fileName) media.fileName = uploaded.fileName;
  return { clientRequestId, media };
}

/** The body of the action's request (the same every time it is retried). */
export function requestBody(local: LocalSend): SendRequest | { clientRequestId: string; text?: string } | null {
  const action = local.action;
  if (!action || action.kind === 'media') return null; // a media body needs its upload first (mediaRequestBody)
  if (action.kind === 'text') return { clientRequestId: local.clientRequestId, text: action.text };
  if (action.kind === 'template') {
    const template = action.purpose ? { purpose: action.purpose } : { name: action.name, language: action.language };
    return { clientRequestId: local.clientRequestId, template };
  }
  return action.text !== undefined
    ? { clientRequestId: local.clientRequestId, text: action.text }
    : { clientRequestId: local.clientRequestId };
}

/** True when the conversation already holds this send's stored message. */
export function isInConversation(local: LocalSend, messages: readonly Message[]): boolean {
  const send = local.send;
  if (!send || send.state !== 'sent') return false;
  const id = send.message.id;
  const acsId = send.messageId;
  return messages.some((m) => (id !== null && m.id === id) || (acsId !== null && m.whatsappMessageId === acsId));
}

/** The bubble's message: the answer's, or a stand-in built locally until the answer comes. */
export function bubbleOf(local: LocalSend): Message | PendingMessage {
  if (local.send) return local.send.message;
  const action = local.action;
  if (action?.kind === 'media') {
    const kind = action.file ? mediaKindOf(action.file) : (action.uploaded?.kind ?? 'document');
    const media: Media = {
      kind,
      mimeType: (action.file ? action.file.type : action.uploaded?.contentType) || null,
      fileName: action.file ? action.file.name : (action.uploaded?.fileName ?? null),
      caption: action.caption.trim() ? action.caption : null,
      state: 'sending',
      size: action.file ? action.file.size : (action.uploaded?.size ?? null),
      url: null,
    };
    return { id: null, direction: 'outbound', type: kind, text: null, media, timestamp: local.createdAt, status: { state: 'sending', reason: null }, sentBy: null };
  }
  return {
    id: null,
    direction: 'outbound',
    type: action?.kind === 'template' ? 'template' : 'text',
    text: textOf(local),
    timestamp: local.createdAt,
    status: { state: 'sending', reason: null },
    sentBy: null,
  };
}

const DAY_MS = 24 * 3_600_000;

type Action =
  | { type: 'reset' }
  | { type: 'start'; local: LocalSend }
  | { type: 'retry'; clientRequestId: string }
  | { type: 'answered'; clientRequestId: string; send: Send }
  | { type: 'failed'; clientRequestId: string; error: WhatsAppApiError }
  | { type: 'outbox'; sends: Send[]; now: number }
  | { type: 'drop'; clientRequestIds: string[] };

export function sendsReducer(state: LocalSend[], action: Action): LocalSend[] {
  switch (action.type) {
    case 'reset':
      return [];
    case 'start':
      return state.some((s) => s.clientRequestId === action.local.clientRequestId) ? state : [...state, action.local];
    case 'retry':
      return state.map((s) => (s.clientRequestId === action.clientRequestId ? { ...s, posting: true, error: null } : s));
    case 'answered':
      return state.map((s) =>
        s.clientRequestId === action.clientRequestId ? { ...s, posting: false, error: null, send: action.send, gone: false } : s,
      );
    case 'failed':
      return state.map((s) => (s.clientRequestId === action.clientRequestId ? { ...s, posting: false, error: action.error } : s));
    case 'outbox': {
      const listed = new Map(action.sends.map((s) => [s.clientRequestId, s]));
      const next = state.map((s) => {
        const fresh = listed.get(s.clientRequestId);
        if (fresh) return sameJson(fresh, s.send) ? s : { ...s, send: fresh, error: null, gone: false };
        // Not listed: sent (the outbox lists only what is not), unless our request never reached it.
        if (s.send && s.send.state !== 'sent' && !s.posting) return { ...s, gone: true };
        return s;
      });
      const known = new Set(state.map((s) => s.clientRequestId));
      for (const send of [...action.sends].reverse()) {
        if (known.has(send.clientRequestId)) continue;
        if (send.state === 'failed' && action.now - Date.parse(send.createdAt) > DAY_MS) continue;
        next.push({ clientRequestId: send.clientRequestId, action: null, createdAt: send.createdAt, posting: false, send, error: null });
      }
      return next;
    }
    case 'drop': {
      const dropped = new Set(action.clientRequestIds);
      const next = state.filter((s) => !dropped.has(s.clientRequestId));
      return next.length === state.length ? state : next;
    }
  }
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function toApiError(error: unknown): WhatsAppApiError {
  if (error instanceof WhatsAppApiError) return error;
  return new WhatsAppApiError(0, 'Ocurrió un error inesperado al enviar. Reintentá.');
}

/** A new client request id (RFC 4122 v4 from the browser's CSPRNG). */
export function newClientRequestId(): string {
  return crypto.randomUUID();
}

export interface UseWhatsAppSendsOptions {
  service: WhatsAppService;
  orderId: number;
  /** The conversation as loaded (to know when a send's stored message arrived). */
  messages: readonly Message[];
  /** Refreshes the conversation (after a send left the outbox). */
  refreshConversation: () => Promise<void>;
  pollIntervalMs?: number | null;
  /** Called after a proposal was sent (so the list drops it). */
  onProposalSent?: () => void;
}

export interface UseWhatsAppSendsResult {
  /** Sends to show as bubbles after the conversation (those it does not hold yet), oldest first. */
  pending: LocalSend[];
  /** Starts a new action (a new clientRequestId); resolves when the server answered. */
  submit: (action: SendAction) => Promise<LocalSend | null>;
  /** Sends the same action again with the same clientRequestId (safe: never a second message). */
  retry: (clientRequestId: string) => Promise<void>;
  /** A NEW action with the same content (after a person confirmed it): a new clientRequestId. */
  resend: (clientRequestId: string) => Promise<void>;
  /** Hides a send that will not go out (failed, rejected). */
  dismiss: (clientRequestId: string) => void;
}

export function useWhatsAppSends({
  service,
  orderId,
  messages,
  refreshConversation,
  pollIntervalMs = null,
  onProposalSent,
}: UseWhatsAppSendsOptions): UseWhatsAppSendsResult {
  const [state, dispatch] = useReducer(sendsReducer, []);
  const latest = useRef(state);
  latest.current = state;
  const params = useRef({ service, orderId, refreshConversation, onProposalSent });
  params.current = { service, orderId, refreshConversation, onProposalSent };
  const generation = useRef(0);
  // Requests under way, by clientRequestId: a second press while one runs joins it.
  const inflight = useRef(new Map<string, Promise<void>>());
  // Finished uploads, by clientRequestId: a retry of the send does not upload again.
  const uploads = useRef(new Map<string, UploadedMedia>());

  const post = useCallback((local: LocalSend): Promise<void> => {
    const running = inflight.current.get(local.clientRequestId);
    if (running) return running;
    const { service: svc, orderId: id } = params.current;
    const gen = generation.current;
    const action = local.action;
    const body = requestBody(local);
    if (!action || (!body && action.kind !== 'media')) return Promise.resolve();
    const run = (async () => {
      try {
        let send: Send;
        if (action.kind === 'media') {
          if (!svc.sendMessage || !svc.uploadMedia) throw new WhatsAppApiError(0, 'Este panel no puede enviar archivos.');
          let uploaded = uploads.current.get(local.clientRequestId) ?? action.uploaded;
          if (!uploaded) {
            if (!action.file) throw new WhatsAppApiError(0, 'Adjuntá el archivo de nuevo para enviarlo.');
            uploaded = await svc.uploadMedia(action.file);
            uploads.current.set(local.clientRequestId, uploaded);
          }
          if (gen !== generation.current) return;
          send = await svc.sendMessage(id, mediaRequestBody(local.clientRequestId, action.caption, uploaded));
        } else if (action.kind === 'proposal') {
          if (!svc.sendReplyProposal) throw new WhatsAppApiError(0, 'Este panel no puede enviar propuestas.');
          send = await svc.sendReplyProposal(id, action.proposalId, body as { clientRequestId: string; text?: string });
        } else {
          if (!svc.sendMessage) throw new WhatsAppApiError(0, 'Este panel no puede enviar mensajes.');
          send = await svc.sendMessage(id, body as SendRequest);
        }
        if (gen !== generation.current) return;
        dispatch({ type: 'answered', clientRequestId: local.clientRequestId, send });
        if (action.kind === 'proposal') params.current.onProposalSent?.();
        // Accepted: bring the stored message (and its ticks) into the conversation now.
        if (send.state === 'sent') void params.current.refreshConversation();
      } catch (error) {
        if (gen !== generation.current || isAbortError(error)) return;
        dispatch({ type: 'failed', clientRequestId: local.clientRequestId, error: toApiError(error) });
        // e.g. 409 /problems/proposal-decided: someone else decided it; the list must say so
        if (action.kind === 'proposal') params.current.onProposalSent?.();
      }
    })().finally(() => {
      inflight.current.delete(local.clientRequestId);
    });
    inflight.current.set(local.clientRequestId, run);
    return run;
  }, []);

  const submit = useCallback(
    async (action: SendAction): Promise<LocalSend | null> => {
      const local: LocalSend = {
        clientRequestId: newClientRequestId(),
        action,
        createdAt: new Date().toISOString(),
        posting: true,
        send: null,
        error: null,
      };
      dispatch({ type: 'start', local });
      await post(local);
      return local;
    },
    [post],
  );

  const retry = useCallback(
    async (clientRequestId: string) => {
      const local = latest.current.find((s) => s.clientRequestId === clientRequestId);
      if (!local?.action) return;
      dispatch({ type: 'retry', clientRequestId });
      await post(local);
    },
    [post],
  );

  const resend = useCallback(
    async (clientRequestId: string) => {
      const local = latest.current.find((s) => s.clientRequestId === clientRequestId);
      if (!local) return;
      const action: SendAction | null =
        local.action?.kind === 'proposal' || !local.action
          ? uploadedMediaOf(local) ??
            // a proposal is decided once sent: what was sent goes again as a typed text
            (textOf(local) ? { kind: 'text', text: textOf(local) } : null)
          : local.action;
      if (!action) return;
      dispatch({ type: 'drop', clientRequestIds: [clientRequestId] });
      await submit(action);
    },
    [submit],
  );

  const dismiss = useCallback((clientRequestId: string) => {
    dispatch({ type: 'drop', clientRequestIds: [clientRequestId] });
  }, []);

  // Another order: start over, and bring back what is still in its outbox.
  useEffect(() => {
    generation.current += 1;
    const gen = generation.current;
    inflight.current = new Map();
    dispatch({ type: 'reset' });
    const controller = new AbortController();
    if (service.listOutbox) {
      service
        .listOutbox(orderId, { signal: controller.signal })
        .then((list) => {
          if (gen === generation.current && Array.isArray(list?.sends)) dispatch({ type: 'outbox', sends: list.sends, now: Date.now() });
        })
        .catch(() => {
          // the outbox is a convenience after a reload: the conversation still shows what was sent
        });
    }
    return () => controller.abort();
  }, [service, orderId]);

  const pending = useMemo(() => state.filter((s) => !isInConversation(s, messages)), [state, messages]);

  // Sends the conversation now holds are done: forget them.
  useEffect(() => {
    const done = state.filter((s) => isInConversation(s, messages)).map((s) => s.clientRequestId);
    if (done.length) dispatch({ type: 'drop', clientRequestIds: done });
  }, [state, messages]);

  // While something is unsettled, follow the outbox.
  const unsettled = pending.some((s) => {
    const phase = phaseOf(s);
    return (phase === 'sending' && !s.posting) || (phase === 'unknown' && s.send?.state === 'unknown') || phase === 'sent';
  });
  useEffect(() => {
    if (!unsettled || !pollIntervalMs || pollIntervalMs <= 0) return;
    const gen = generation.current;
    let busy = false;
    const timer = setInterval(() => {
      if (busy || document.visibilityState !== 'visible') return;
      const { service: svc, orderId: id, refreshConversation: refreshNow } = params.current;
      if (!svc.listOutbox) return;
      busy = true;
      void (async () => {
        try {
          if (latest.current.some((s) => s.send?.state === 'sent')) await refreshNow();
          const list = await svc.listOutbox!(id);
          if (gen !== generation.current || !Array.isArray(list?.sends)) return;
          dispatch({ type: 'outbox', sends: list.sends, now: Date.now() });
          const listed = new Set(list.sends.map((s) => s.clientRequestId));
          const left = latest.current.filter(
            (s) => s.send && s.send.state !== 'sent' && !s.posting && !listed.has(s.clientRequestId),
          );
          // Ours: ask again with the same id (the server answers the stored message, sends nothing).
          await Promise.all(left.filter((s) => s.action).map((s) => post(s)));
          // Brought back after a reload: the conversation has it now.
          const unknownRequest = left.filter((s) => !s.action).map((s) => s.clientRequestId);
          if (unknownRequest.length) {
            await refreshNow();
            if (gen === generation.current) dispatch({ type: 'drop', clientRequestIds: unknownRequest });
          }
        } catch {
          // next tick
        } finally {
          busy = false;
        }
      })();
    }, pollIntervalMs);
    return () => clearInterval(timer);
  }, [unsettled, pollIntervalMs, post]);

  return { pending, submit, retry, resend, dismiss };
}
