// The process environment, read in one place (the config layer is the only reader of process.env).

/** The environment botwarden was started with. */
export function readEnv(): NodeJS.ProcessEnv {
  return process.env;
}
