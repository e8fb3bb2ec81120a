// Bot API envelopes the gateway answers itself: `{"ok":true,"result":[]}` and `{"ok":false,"error_code":N,"description":…}`,
// written to a `JsonSink`: node:http's ServerResponse, or the fast lane's answer to a request it read whole.

/** Where a JSON answer goes: the part of node:http's ServerResponse the gateway's own answers use (fast-lane.ts has the other). */
export interface JsonSink {
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  end(body: Buffer): unknown;
  once(event: 'close', fn: () => void): unknown;
  off(event: 'close', fn: () => void): unknown;
}

/** The empty getUpdates answer, pre-serialized. */
export const EMPTY_UPDATES = Buffer.from('{"ok":true,"result":[]}');

/** Write a JSON body with its status, unless an answer was already started or the bot went away. Returns whether it wrote. */
export function sendJson(res: JsonSink, status: number, body: Buffer | string, extraHeaders: Record<string, string> = {}): boolean {
  if (res.headersSent || res.destroyed || res.writableEnded) return false;
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(buf.length), ...extraHeaders });
  res.end(buf);
  return true;
}

/** Answer getUpdates with no updates. */
export function sendEmptyUpdates(res: JsonSink): boolean {
  return sendJson(res, 200, EMPTY_UPDATES);
}

/** The body of a Bot API error answer. */
export function errorBody(errorCode: number, description: string): Buffer {
  return Buffer.from(JSON.stringify({ ok: false, error_code: errorCode, description }));
}

/** Answer a Bot API error; HTTP status equals error_code as on the real server. */
export function sendError(res: JsonSink, errorCode: number, description: string): boolean {
  return sendJson(res, errorCode, errorBody(errorCode, description));
}
