// Writing answers: compact JSON, HTTP status = error_code, Retry-After on 429, raw status lines (§1.3).
import type { ServerResponse } from 'node:http';
import { errorBody, type ApiError } from './errors.js';

/** Whether an answer can still reach the client. */
export function isLive(res: ServerResponse): boolean {
  return !res.writableEnded && !res.destroyed && res.socket !== null && !res.socket.destroyed;
}

/** Write a JSON body with a status; false when the client is gone. */
export function sendJson(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): boolean {
  if (!isLive(res)) return false;
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (extra) Object.assign(headers, extra);
  res.writeHead(status, headers);
  res.end(body);
  return true;
}

/** `{"ok":true,"result":<resultJson>[,"description":…]}`. */
export function sendOkRaw(res: ServerResponse, resultJson: string, description?: string): boolean {
  const body = description === undefined ? `{"ok":true,"result":${resultJson}}` : `{"ok":true,"result":${resultJson},"description":${JSON.stringify(description)}}`;
  return sendJson(res, 200, body);
}

/** The error envelope with the status equal to its code. */
export function sendError(res: ServerResponse, e: ApiError): boolean {
  const extra = e.code === 429 && e.parameters?.retry_after !== undefined ? { 'retry-after': String(e.parameters.retry_after) } : undefined;
  return sendJson(res, e.code, errorBody(e), extra);
}

/** A bare status line with an empty body, then close the connection (e.g. 501, 413). */
export function sendRaw(res: ServerResponse, status: number): void {
  if (!isLive(res)) return;
  res.writeHead(status, { 'content-length': 0, connection: 'close' });
  res.end();
}
