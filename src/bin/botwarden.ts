#!/usr/bin/env -S node --max-semi-space-size=1 --gc-memory-reducer-start-delay-ms=2000
// The `botwarden` executable: hands argv to the CLI. The shebang keeps V8's young generation small: a supervisor
// allocates little, and the default (up to 16 MB per semi-space) would cost ~20 MB of RSS for nothing. V8's memory
// reducer (which gives back the pages start-up allocated once a process is idle) starts after 2 s, not 8. `run` and
// `up` also delay V8's optimizing compiler until their bots are up (util/v8-tuning.ts), before any other module loads.
import { delayTierUp } from '../util/v8-tuning.js';

if (process.argv[2] === 'run' || process.argv[2] === 'up') delayTierUp();
const { start } = await import('../cli/entry.js');
void start(process.argv);
