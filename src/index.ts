// Public API of the botwarden package.
export { BotwardenError, ExitCode } from './errors.js';
export { redact } from './util/redact.js';
