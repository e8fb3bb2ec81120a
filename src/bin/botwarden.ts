#!/usr/bin/env node
// The `botwarden` executable: hands argv to the CLI.
import { runMain } from '../cli/main.js';

void runMain(process.argv);
