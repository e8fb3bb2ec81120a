// The balancer against a scripted host registry: who holds back before acquiring, and that a host whose lease ran
// out (dead or frozen, though still listed) is taken from at once and handed nothing until its entry could expire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Balancer, type BalancedUnit } from '../../src/daemon/balance.js';
import type { RunConfig } from '../../src/config/index.js';
import type { LeaseBackendPool } from '../../src/lease/pool.js';
import type { HostBeat, LeaseBackend, LeaseRecord } from '../../src/lease/types.js';
import { silentLogger } from '../../src/log.js';
import { eventually } from '../helpers/wait.js';

const URL = 'redis://127.0.0.1:6379/0';
/** Long: the heartbeats come only when the test pokes, and no suspicion runs out while it runs. */
const TTL_MS = 60_000;
/** The other host: `~` sorts after any host name, so this host is first and gets bot 1, the other bot 2. */
const OTHER = { host: '~other', pid: 4242 };
const OTHER_ID = `${OTHER.host}-${OTHER.pid}-abcdef`;

function setup(): { balancer: Balancer; beats: () => number; handedOver: number[] } {
  let beats = 0;
  const backend = {
    open: async () => undefined,
    close: async () => undefined,
    holder: async () => null,
    leaveHost: async () => undefined,
    heartbeatHost: async (_fleet: string, own: HostBeat): Promise<HostBeat[]> => {
      beats++;
      return [own, { id: OTHER_ID, leading: 0, bots: [1, 2] }];
    },
  } as unknown as LeaseBackend;
  const leases = { get: () => backend } as unknown as LeaseBackendPool;
  const configs = [1, 2].map((botId) => ({ botId, lease: URL, leaseTtlMs: TTL_MS, stateDir: '/nonexistent' }) as unknown as RunConfig);
  const handedOver: number[] = [];
  const unit2: BalancedUnit = { name: 'b2', botId: 2, leading: true, handOver: async () => (handedOver.push(2), false) };
  const unit1: BalancedUnit = { name: 'b1', botId: 1, leading: false, handOver: async () => false };
  const balancer = Balancer.create({ leases, configs: () => configs, units: () => [unit1, unit2], fleet: 'test', logger: silentLogger })!;
  return { balancer, beats: () => beats, handedOver };
}

async function beatsUntil(s: ReturnType<typeof setup>, n: number): Promise<void> {
  await eventually(`${n} heartbeats`, () => {
    if (s.beats() >= n) return true;
    s.balancer.poke();
    return false;
  });
}

function expired(host: { host: string; pid: number }): LeaseRecord {
  return { botId: 2, instanceId: 'i', host: host.host, pid: host.pid, fence: 1, since: Date.now() - 10_000, expiresAt: Date.now() - 1 };
}

test('balance: a standby holds back for a bot assigned elsewhere, but not when the lease ran out in that host’s hands', async () => {
  const s = setup();
  try {
    await beatsUntil(s, 1);
    assert.equal(s.balancer.acquireDelay(1, null), 0, 'bot 1 is this host’s');
    assert.ok(s.balancer.acquireDelay(2, null) > 0, 'bot 2 is the other host’s: hold back');
    assert.ok(s.balancer.acquireDelay(2, { ...expired(OTHER), expiresAt: Date.now() + 5000 }) > 0, 'a lease still running (released early): hold back');
    assert.ok(s.balancer.acquireDelay(2, expired({ host: 'elsewhere', pid: 1 })) > 0, 'ran out at a host not assigned: hold back');
    assert.equal(s.balancer.acquireDelay(2, expired(OTHER)), 0, 'ran out in the assigned host’s hands: take it now');
  } finally {
    await s.balancer.stop();
  }
});

test('balance: nothing is handed over to a host a lease of which ran out; otherwise once it is seen twice', async () => {
  const suspect = setup();
  try {
    await beatsUntil(suspect, 1);
    suspect.balancer.acquireDelay(2, expired(OTHER));
    await beatsUntil(suspect, 4);
    assert.deepEqual(suspect.handedOver, [], 'the other host is listed but its lease ran out: bot 2 stays here');
  } finally {
    await suspect.balancer.stop();
  }
  const healthy = setup();
  try {
    await beatsUntil(healthy, 1);
    await eventually('bot 2 handed over to its assigned host', () => {
      healthy.balancer.poke();
      return healthy.handedOver.length > 0;
    });
  } finally {
    await healthy.balancer.stop();
  }
});
