// The one classification of Bot API answers (client, doctor and gateway use it): a table, and the network-error side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answeredUp, classifyAnswer, unreachableAnswer, type ApiAnswer } from '../../src/telegram/answer.js';
import { ApiUnreachableError, TelegramApiError, answerError, isRetryable } from '../../src/telegram/errors.js';

const HTML_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n';

/** The answer, known not to be ok (the error side). */
function failed(ans: ApiAnswer): Exclude<ApiAnswer, { kind: 'ok' }> {
  assert.notEqual(ans.kind, 'ok');
  return ans as Exclude<ApiAnswer, { kind: 'ok' }>;
}

/** [name, status, body, expected outcome (fields that matter), retryable once thrown] */
const rows: [string, number, string, Partial<ApiAnswer> & Record<string, unknown>, boolean | undefined][] = [
  ['200 ok', 200, '{"ok":true,"result":[{"update_id":1}]}', { kind: 'ok', status: 200, result: [{ update_id: 1 }] }, undefined],
  ['2xx, not JSON', 200, '<html>captive portal</html>', { kind: 'unreachable', status: 200, reason: 'HTTP 200 with a body that is not a Bot API answer' }, true],
  ['2xx, JSON without ok', 200, '{"result":true}', { kind: 'unreachable', status: 200, reason: 'HTTP 200 with a body that is not a Bot API answer' }, true],
  ['2xx, JSON array', 204, '[1,2]', { kind: 'unreachable', status: 204 }, true],
  ['401 envelope', 401, '{"ok":false,"error_code":401,"description":"Unauthorized"}', { kind: 'refused', status: 401, errorCode: 401, description: 'Unauthorized' }, false],
  ['404 envelope', 404, '{"ok":false,"error_code":404,"description":"Not Found"}', { kind: 'refused', errorCode: 404, description: 'Not Found' }, false],
  ['404 HTML (wrong API root)', 404, '<html>Not Found</html>', { kind: 'refused', status: 404, errorCode: 404, description: 'HTTP 404' }, false],
  [
    '409 conflict',
    409,
    '{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}',
    { kind: 'refused', errorCode: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' },
    false,
  ],
  [
    '429 with retry_after',
    429,
    '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}',
    { kind: 'refused', errorCode: 429, parameters: { retry_after: 7 } },
    true,
  ],
  ['429 without a Bot API answer', 429, 'slow down', { kind: 'unreachable', status: 429, reason: 'HTTP 429 without a Bot API answer' }, true],
  ['500 envelope', 500, '{"ok":false,"error_code":500,"description":"Internal Server Error: restart"}', { kind: 'refused', status: 500, errorCode: 500 }, true],
  ['502 JSON envelope (outage)', 502, '{"ok":false,"error_code":502,"description":"Bad Gateway"}', { kind: 'refused', errorCode: 502, description: 'Bad Gateway' }, true],
  ['502 nginx HTML page', 502, HTML_502, { kind: 'unreachable', status: 502, reason: 'HTTP 502 without a Bot API answer' }, true],
  ['503 empty body', 503, '', { kind: 'unreachable', status: 503 }, true],
  ['ok:false without code: the status is the code', 400, '{"ok":false,"description":"Bad Request: chat not found"}', { kind: 'refused', errorCode: 400, description: 'Bad Request: chat not found' }, false],
  ['ok:false with neither code nor description, 5xx', 502, '{"ok":false}', { kind: 'unreachable', status: 502 }, true],
  ['error_code beats the status', 200, '{"ok":false,"error_code":400,"description":"Bad Request"}', { kind: 'refused', status: 200, errorCode: 400 }, false],
];

test('classifyAnswer outcome table (the same for string and Buffer bodies)', () => {
  for (const [name, status, body, want, retryable] of rows) {
    for (const b of [body, Buffer.from(body)]) {
      const got = classifyAnswer(status, b) as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${name}: ${k}`);
    }
    const ans = classifyAnswer(status, body);
    if (ans.kind === 'ok') continue;
    const err = answerError('getMe', ans);
    assert.ok(ans.kind === 'refused' ? err instanceof TelegramApiError : err instanceof ApiUnreachableError, `${name}: error kind`);
    assert.equal(isRetryable(err), retryable, `${name}: retryable`);
  }
});

test('refused → TelegramApiError with retryAfter and exit code; unreachable keeps the status', () => {
  const e429 = answerError('getUpdates', failed(classifyAnswer(429, '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}')));
  assert.ok(e429 instanceof TelegramApiError);
  assert.equal(e429.retryAfter, 3);
  const e401 = answerError('getMe', failed(classifyAnswer(401, '{"ok":false,"error_code":401,"description":"Unauthorized"}')));
  assert.equal(e401.exitCode, 3);
  const e502 = answerError('getMe', failed(classifyAnswer(502, HTML_502)));
  assert.ok(e502 instanceof ApiUnreachableError);
  assert.equal(e502.status, 502);
  assert.equal(e502.exitCode, 4);
});

test('no answer at all: the network reason, or the time limit that ended the call', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  assert.deepEqual(unreachableAnswer(refused), { kind: 'unreachable', reason: 'ECONNREFUSED' });
  const wrapped = new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }) });
  assert.equal(unreachableAnswer(wrapped).reason, 'ENOTFOUND');
  assert.deepEqual(unreachableAnswer(new DOMException('aborted', 'TimeoutError'), 10_000), { kind: 'unreachable', reason: 'no answer within 10000 ms' });
  const err = answerError('getMe', unreachableAnswer(refused));
  assert.ok(err instanceof ApiUnreachableError && isRetryable(err));
  assert.equal(err.status, undefined);
});

test('answeredUp: an answer below 500 shows the API up; a 5xx or no answer shows it down', () => {
  assert.equal(answeredUp(200), true);
  assert.equal(answeredUp(409), true);
  assert.equal(answeredUp(429), true);
  assert.equal(answeredUp(500), false);
  assert.equal(answeredUp(502), false);
  assert.equal(answeredUp(undefined), false);
});
