// Leases across hosts on PostgreSQL (issue #4): real `botwarden run` instances, graceful handover, kill -9, frozen leader.
import { after, before, test } from 'node:test';
import { startFleetEmulator, type RunningEmulator } from '../helpers/fleet.js';
import { usePostgres } from '../helpers/services.js';
import { frozenLeader, handoverThenKill, type ScenarioEnv } from './scenarios.js';

// 3000, not 2000: see redis.test.ts (the gateway's fixed lease margin starves long polls at shorter TTLs).
const TTL_MS = 3000;
const service = await usePostgres();
let emu: RunningEmulator;
let env: ScenarioEnv;
before(async () => {
  if (service.skip) return;
  emu = await startFleetEmulator();
  env = { emu, lease: service.url, ttlMs: TTL_MS, label: 'postgres' };
});
after(async () => {
  await emu?.close();
});

test('postgres, three hosts: graceful stop hands over, kill -9 fails over once the lease could run out (not before); nothing lost, no 409', { skip: service.skip }, async (t) => {
  await handoverThenKill(t, env);
});

test('postgres, two hosts: a frozen leader (SIGSTOP > TTL) is replaced, its late answer discarded, and it steps down on SIGCONT', { skip: service.skip }, async (t) => {
  await frozenLeader(t, env);
});
