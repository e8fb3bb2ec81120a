// The suites `npm run bench` runs, in order.
import type { Suite } from '../lib/suite.js';
import { footprintSuite } from './footprint.js';
import { restartSuite } from './restart.js';
import { rollingSuite } from './rolling.js';
import { stopSuite } from './stop.js';

/** Every suite, in run order (`--only` picks by id). */
export const SUITES: Suite[] = [restartSuite, footprintSuite, stopSuite, rollingSuite];
