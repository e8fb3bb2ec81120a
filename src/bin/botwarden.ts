#!/usr/bin/env -S node --max-semi-space-size=1
// The `botwarden` executable: hands argv to the CLI. The shebang keeps V8's young generation small: a supervisor
// allocates little, and the default (up to 16 MB per semi-space) would cost ~20 MB of RSS for nothing.
import { runMain } from '../cli/main.js';

void runMain(process.argv);
