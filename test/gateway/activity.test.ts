// BotActivity: what counts as the bot still working (calls in flight, recent calls, updates without an answer yet).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BotActivity, callKeys, updateKeys } from '../../src/gateway/activity.js';
import { monotonicMs } from '../../src/util/clock.js';

const msg = (id: number, chat: number): Record<string, unknown> => ({ update_id: id, message: { message_id: id, from: { id: chat }, chat: { id: chat, type: 'private' }, text: 'x' } });

test('keys of updates and calls', () => {
  assert.deepEqual(updateKeys(msg(1, 5)).sort(), ['c:5']);
  assert.deepEqual(updateKeys({ update_id: 2, callback_query: { id: 'cb1', from: { id: 7 }, message: { chat: { id: -100 } } } }).sort(), ['c:-100', 'c:7', 'q:cb1']);
  assert.deepEqual(updateKeys({ update_id: 3, poll: { id: 'p' } }), []);
  assert.deepEqual(callKeys('sendMessage', new Map<string, unknown>([['chat_id', '5'], ['text', 'hi']])), ['c:5']);
  assert.deepEqual(callKeys('answerCallbackQuery', new Map<string, unknown>([['callback_query_id', 'cb1']])), ['q:cb1']);
  assert.deepEqual(callKeys('sendChatAction', new Map<string, unknown>([['chat_id', 5]])), [], 'typing… answers nothing');
});

test('one call answers the oldest waiting update of its chat; calls in flight and idle time are reported', () => {
  const startedAt = monotonicMs();
  const a = new BotActivity();
  assert.equal(a.wantsKeys, false);
  a.handedOut([msg(1, 5), msg(2, 5), msg(3, 6), { update_id: 4, poll: { id: 'p' } }]);
  assert.equal(a.wantsKeys, true);
  assert.equal(a.snapshot().unanswered, 3, 'the poll has nothing to answer it and is not waited for');
  const done = a.callStarted(['c:5']);
  let s = a.snapshot();
  assert.equal(s.inFlight, 1);
  assert.equal(s.unanswered, 2);
  assert.equal(s.calls, 1);
  done();
  done();
  assert.equal(a.snapshot().inFlight, 0, 'ending twice counts once');
  a.callStarted(['c:5'])();
  a.callStarted(['c:999'])();
  s = a.snapshot();
  assert.equal(s.unanswered, 1, 'chat 6 still waits');
  assert.ok(s.idleMs >= 0 && s.idleMs <= monotonicMs() - startedAt, `idleMs ${s.idleMs}: no more than the test has run`);
  assert.equal(a.snapshot(-1).unanswered, 0, 'older than maxAgeMs: not counted');
  a.callStarted(['c:6'])();
  assert.equal(a.wantsKeys, false);
});
