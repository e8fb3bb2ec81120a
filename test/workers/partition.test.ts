// routeUpdate and assignedTo: which partition an update goes to, and which partitions a member owns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignedTo, routeUpdate } from '../../src/workers/partition.js';

test('an update goes to the partition of its chat, else its user, else partition 0', () => {
  const cases: Array<[string, Record<string, unknown>, { key: string; partition: number }]> = [
    ['message', { update_id: 1, message: { chat: { id: 21 }, from: { id: 7 } } }, { key: 'c21', partition: 5 }],
    ['group message (negative id)', { update_id: 1, message: { chat: { id: -1001234567 } } }, { key: 'c-1001234567', partition: 1001234567 % 8 }],
    ['edited_channel_post', { update_id: 1, edited_channel_post: { chat: { id: 3 } } }, { key: 'c3', partition: 3 }],
    ['callback_query: the chat of its message', { update_id: 1, callback_query: { from: { id: 9 }, message: { chat: { id: 12 } } } }, { key: 'c12', partition: 4 }],
    ['inline callback_query: its user', { update_id: 1, callback_query: { from: { id: 9 }, inline_message_id: 'x' } }, { key: 'u9', partition: 1 }],
    ['inline_query: its user', { update_id: 1, inline_query: { from: { id: 10 } } }, { key: 'u10', partition: 2 }],
    ['poll_answer: its user', { update_id: 1, poll_answer: { user: { id: 11 } } }, { key: 'u11', partition: 3 }],
    ['poll_answer of a chat: its voter_chat', { update_id: 1, poll_answer: { voter_chat: { id: -6 } } }, { key: 'u-6', partition: 6 }],
    ['chat_member', { update_id: 1, chat_member: { chat: { id: 16 }, from: { id: 1 } } }, { key: 'c16', partition: 0 }],
    ['poll: neither', { update_id: 1, poll: { id: 'p', question: 'q' } }, { key: '', partition: 0 }],
  ];
  for (const [what, u, want] of cases) assert.deepEqual(routeUpdate(u, 8), want, what);
});

test('assignedTo: each partition to exactly one live member, spread evenly, independent of list order', () => {
  const members = ['b', 'a', 'c'];
  const all = members.flatMap((m) => assignedTo(m, members, 16));
  assert.deepEqual([...all].sort((x, y) => x - y), [...Array(16).keys()]);
  assert.deepEqual(assignedTo('a', members, 16), [0, 3, 6, 9, 12, 15]);
  assert.deepEqual(assignedTo('a', ['c', 'a', 'b'], 16), assignedTo('a', members, 16));
  assert.deepEqual(assignedTo('z', members, 16), [], 'not a member: nothing');
  assert.deepEqual(assignedTo('a', ['a'], 4), [0, 1, 2, 3]);
});
