// commander, loaded through require (util/lazy-require.ts: no CommonJS lexer in a long-running `botwarden run`).
// Every CLI module takes it from here.
import type * as CommanderTypes from 'commander';
import { lazyRequire } from '../util/lazy-require.js';

const commander = lazyRequire('commander') as typeof CommanderTypes;

export const { Command, CommanderError, InvalidArgumentError, Option } = commander;
export type Command = CommanderTypes.Command;
export type CommanderError = CommanderTypes.CommanderError;
export type InvalidArgumentError = CommanderTypes.InvalidArgumentError;
export type Option = CommanderTypes.Option;
