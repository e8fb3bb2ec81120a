// The suites `npm run bench` runs, in order (numbers as in the benchmark issue).
import type { Suite } from '../lib/suite.js';
import { externalSuite } from './external.js';
import { failoverSuite } from './failover.js';
import { footprintSuite } from './footprint.js';
import { manyBotsSuite } from './many-bots.js';
import { preflightSuite } from './preflight.js';
import { pythonBotsSuite } from './python-bots.js';
import { restartSuite } from './restart.js';
import { rollingSuite } from './rolling.js';
import { stopSuite } from './stop.js';
import { workersSuite } from './workers.js';

/** 6. Gateway overhead: sendMessage p50/p99 and throughput at 1 and 32 concurrent, via the gateway vs direct. */
const gatewaySuite = externalSuite({ id: 'gateway', title: '6. Gateway overhead', file: 'gateway.ts', fnName: 'runGatewayBench', budgetMs: 60_000 });
/** The emulator's own figures (bench/emulator.ts). */
const emulatorSuite = externalSuite({ id: 'emulator', title: 'Emulator', file: 'emulator.ts', fnName: 'runEmulatorBench', budgetMs: 45_000 });

/** Every suite, in run order (`--only` picks by id). */
export const SUITES: Suite[] = [restartSuite, footprintSuite, stopSuite, rollingSuite, failoverSuite, gatewaySuite, preflightSuite, emulatorSuite, pythonBotsSuite, manyBotsSuite, workersSuite];
