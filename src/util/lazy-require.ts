// One require() for the modules botwarden loads at their point of use rather than with `import`: optional ones (a
// driver, a parser, TLS) stay out of a long-running `botwarden run` until needed, and a CommonJS package loaded this
// way does not make Node start its CommonJS export lexer, which importing it from an ES module does (~1 MB RSS).
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';

/** require(), resolving from this package (node_modules and `node:` built-ins). */
export const lazyRequire = createRequire(import.meta.url);

/**
 * require() of a package used for a moment (the config file's schema at start-up and on reload): `release()` drops
 * its modules from the require cache, and this require's own parent record with them, so once the caller lets go of
 * the exports the package's code and data can be collected (zod: ~3 MB a long-running daemon would otherwise keep).
 */
export function transientRequire(id: string): { exports: unknown; release: () => void } {
  let req: NodeJS.Require | undefined = createRequire(import.meta.url);
  const entry = req.resolve(id);
  const at = entry.lastIndexOf(`${sep}node_modules${sep}`);
  const root = at < 0 ? dirname(entry) + sep : entry.slice(0, entry.indexOf(sep, at + sep.length + 'node_modules'.length + 1) + 1);
  const exports: unknown = req(id);
  return {
    exports,
    release: () => {
      if (!req) return;
      for (const key of Object.keys(req.cache)) if (key.startsWith(root)) delete req.cache[key];
      req = undefined;
    },
  };
}
