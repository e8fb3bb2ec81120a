// One require() for the modules botwarden loads at their point of use rather than with `import`: optional ones (a
// driver, a parser, TLS) stay out of a long-running `botwarden run` until needed, and a CommonJS package loaded this
// way does not make Node start its CommonJS export lexer, which importing it from an ES module does (~1 MB RSS).
import { createRequire } from 'node:module';

/** require(), resolving from this package (node_modules and `node:` built-ins). */
export const lazyRequire = createRequire(import.meta.url);
