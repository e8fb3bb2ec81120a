#!/usr/bin/env node
// The `botwarden` executable: keeps V8's young generation small (a supervisor allocates little but would otherwise
// hold ~16 MB of semi-space per generation), then hands argv to the CLI.
import v8 from 'node:v8';

v8.setFlagsFromString('--max-semi-space-size=1');
const { runMain } = await import('../cli/main.js');
void runMain(process.argv);
