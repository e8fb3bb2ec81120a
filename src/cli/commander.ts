// commander, loaded with require(): importing a CommonJS package from an ES module makes Node start its CommonJS
// export lexer (~1 MB that a long-running `botwarden run` would carry for nothing). Every CLI module takes it from here.
import { createRequire } from 'node:module';
import type * as CommanderTypes from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof CommanderTypes;

export const { Command, CommanderError, InvalidArgumentError, Option } = commander;
export type Command = CommanderTypes.Command;
export type CommanderError = CommanderTypes.CommanderError;
export type InvalidArgumentError = CommanderTypes.InvalidArgumentError;
export type Option = CommanderTypes.Option;
