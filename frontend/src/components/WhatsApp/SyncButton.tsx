/**
 * "Sincronizar WhatsApp": links the customer's stored messages to the order
 * (POST /api/whatsapp/sync) and says what happened. Disabled while running, and
 * with the reason in a tooltip when a sync cannot help (no usable phone). Errors
 * offer "Reintentar" only when trying again can work (network, server busy,
 * signing in again), never for an answer that would only repeat itself.
 */
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { isAbortError, WhatsAppApiError, type WhatsAppService } from '../../services/whatsappService';
import type { SyncResult } from '../../types/whatsapp';
import { humanizeFieldNames, newMessagesLabel } from './format';
import { Tooltip } from './Tooltip';

export interface SyncButtonProps {
  orderId: number;
  service: WhatsAppService;
  /** Called after every successful sync (the caller reloads order and messages). */
  onSynced?: (result: SyncResult) => void | Promise<void>;
  className?: string;
  /** Other actions shown beside the button (e.g. "Abrir en WhatsApp"); the outcome goes below them all. */
  children?: ReactNode;
  /** Why a sync cannot help now (e.g. no usable phone): the button is disabled and says so. */
  disabledReason?: string | null;
}

type SyncState =
  | { kind: 'idle' }
  | { kind: 'running' }
  | { kind: 'done'; result: SyncResult }
  | { kind: 'error'; error: WhatsAppApiError };

/** What a finished sync says, in Spanish. */
export function syncOutcomeText(result: SyncResult): string {
  if (result.status === 'success' && result.messagesReceived > 0) return newMessagesLabel(result.messagesReceived);
  return 'Sin mensajes nuevos';
}

/** The busy indicator of the panel's buttons (decorative: the button's text says what is under way). */
export function Spinner() {
  return (
    <svg className="size-4 animate-spin motion-reduce:animate-none" viewBox="0 0 24 24" fill="none" aria-hidden="true">
      <circle cx="12" cy="12" r="10" stroke="currentColor" strokeWidth="3" className="opacity-25" />
      <path d="M22 12a10 10 0 0 0-10-10" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}

function SyncIcon() {
  return (
    <svg className="size-4" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M21 12a9 9 0 0 1-15.5 6.2M3 12A9 9 0 0 1 18.5 5.8" strokeLinecap="round" />
      <path d="M18.5 2v3.8h-3.8M5.5 22v-3.8h3.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

export function SyncButton({ orderId, service, onSynced, className = '', children, disabledReason = null }: SyncButtonProps) {
  const [state, setState] = useState<SyncState>({ kind: 'idle' });
  const running = useRef(false);
  const mounted = useRef(true);
  const button = useRef<HTMLButtonElement>(null);
  const outcomeId = useId();
  const errorId = useId();

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  // Another order: forget the previous outcome.
  useEffect(() => {
    setState({ kind: 'idle' });
  }, [orderId]);

  const sync = useCallback(async () => {
    if (running.current || disabledReason) return;
    running.current = true;
    setState({ kind: 'running' });
    try {
      const result = await service.syncOrder(orderId);
      if (!mounted.current) return;
      if (result.status === 'failed') {
        setState({
          kind: 'error',
          error: new WhatsAppApiError(200, result.summaryError?.trim() || 'La sincronización no se pudo completar.'),
        });
      } else {
        setState({ kind: 'done', result });
      }
      // The refresh that follows is the panel's (with its own state): the button is free again now,
      // and a slow refresh must not leave it looking ready while it ignores clicks.
      running.current = false;
      void Promise.resolve(onSynced?.(result)).catch(() => undefined);
    } catch (error) {
      if (!mounted.current || isAbortError(error)) return;
      setState({
        kind: 'error',
        error:
          error instanceof WhatsAppApiError
            ? error
            : new WhatsAppApiError(0, 'Ocurrió un error inesperado al sincronizar. Reintentá.'),
      });
    } finally {
      running.current = false;
    }
  }, [orderId, service, onSynced, disabledReason]);

  const isRunning = state.kind === 'running';
  const canRetry = state.kind === 'error' && (state.error.retryable || state.error.unauthorized);
  const syncButton = (
    <button
      ref={button}
      type="button"
      onClick={() => void sync()}
      aria-disabled={isRunning || Boolean(disabledReason)}
      aria-busy={isRunning}
      aria-describedby={state.kind === 'done' ? outcomeId : state.kind === 'error' ? errorId : undefined}
      className={`inline-flex min-h-10 items-center justify-center gap-2 rounded-md border px-3 py-2 text-sm font-medium shadow-sm transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700 ${
        disabledReason
          ? 'cursor-not-allowed border-gray-200 bg-gray-100 text-gray-700'
          : 'border-gray-300 bg-white text-gray-900 hover:bg-gray-50 aria-disabled:cursor-progress'
      }`}
    >
      {isRunning ? <Spinner /> : <SyncIcon />}
      {isRunning ? 'Sincronizando…' : 'Sincronizar WhatsApp'}
    </button>
  );

  return (
    <div className={`flex min-w-0 flex-col gap-1.5 ${className}`}>
      <div className="flex flex-wrap items-center gap-2">
        {disabledReason ? <Tooltip text={disabledReason}>{syncButton}</Tooltip> : syncButton}
        {children}
      </div>
      <div id={outcomeId} role="status" aria-live="polite" className="text-xs">
        {state.kind === 'done' && (
          <span className="text-gray-700">
            <span className="font-medium text-emerald-700">{syncOutcomeText(state.result)}</span>
            {state.result.summaryGenerated && <span> · Resumen actualizado</span>}
            {!state.result.summaryGenerated && state.result.summaryError && (
              <span className="block text-gray-600">Resumen no generado: {state.result.summaryError}</span>
            )}
          </span>
        )}
      </div>
      {state.kind === 'error' && (
        <div id={errorId} role="alert" className="flex flex-wrap items-center gap-x-2 gap-y-1 rounded-md bg-red-50 px-2 py-1.5 text-xs text-red-800">
          <span className="min-w-0 [overflow-wrap:anywhere]">
            No se pudo sincronizar: {humanizeFieldNames(state.error.detail)}
            {state.error.retryAfter !== null && ` Podés reintentar en ${state.error.retryAfter} s.`}
          </span>
          {canRetry && (
            <button
              type="button"
              onClick={() => {
                button.current?.focus(); // this button goes away with the error: keep the keyboard's place
                void sync();
              }}
              className="inline-flex min-h-6 items-center rounded px-1.5 py-0.5 font-medium text-red-900 underline underline-offset-2 hover:bg-red-100 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-red-700"
            >
              Reintentar
            </button>
          )}
        </div>
      )}
    </div>
  );
}
