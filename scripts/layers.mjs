// The layer table: which layer each folder or file under src/ belongs to. It is the one place the layering is
// written down; the lint rule (scripts/eslint-layers.mjs) and the map check (scripts/check-architecture.mjs) read it,
// and ARCHITECTURE.md has one section per layer in this order.
//
// A module may import from its own layer and from lower ones, never from a higher one. A `sealed` entry may import
// only from lower layers (not from the other entries of its own layer).
// To add a folder: add its path (ending in `/`) to the layer whose modules it needs at most, and a section line to
// ARCHITECTURE.md for each of its files.

/** @typedef {{ path: string, sealed?: boolean }} LayerEntry */
/** @typedef {{ layer: number, name: string, entries: LayerEntry[] }} Layer */

/** @type {Layer[]} The layers from the bottom up. Paths are relative to src/; a folder ends in `/`. */
export const LAYERS = [
  {
    layer: 1,
    name: 'Foundations',
    entries: [{ path: 'util/' }, { path: 'errors.ts' }, { path: 'version.ts' }],
  },
  {
    layer: 2,
    name: 'Configuration and logging',
    entries: [{ path: 'config/' }, { path: 'log.ts' }],
  },
  {
    layer: 3,
    name: 'Adapters to the outside world',
    entries: [
      { path: 'telegram/' },
      { path: 'lease/' },
      { path: 'process/' },
      { path: 'state/' },
      { path: 'metrics/' },
      { path: 'metrics.ts' },
      { path: 'server.ts' },
    ],
  },
  {
    layer: 4,
    name: 'Services built on the adapters',
    entries: [
      { path: 'gateway/' },
      { path: 'workers/' },
      { path: 'emulator/', sealed: true },
      { path: 'health/' },
      { path: 'control/' },
      { path: 'doctor/' },
      { path: 'service/' },
    ],
  },
  {
    layer: 5,
    name: 'Composition roots',
    entries: [{ path: 'daemon/' }, { path: 'engine/' }, { path: 'up/' }],
  },
  {
    layer: 6,
    name: 'Command line',
    entries: [{ path: 'cli/' }],
  },
  {
    layer: 7,
    name: 'Entry points',
    entries: [{ path: 'bin/' }, { path: 'index.ts' }],
  },
];

/**
 * The layer entry a path under src/ belongs to (the longest matching path wins), or undefined.
 * @param {string} rel path relative to src/, with `/` separators
 * @returns {{ layer: Layer, entry: LayerEntry } | undefined}
 */
export function layerOf(rel) {
  /** @type {{ layer: Layer, entry: LayerEntry } | undefined} */
  let best;
  for (const layer of LAYERS) {
    for (const entry of layer.entries) {
      const hit = entry.path.endsWith('/') ? rel.startsWith(entry.path) : rel === entry.path;
      if (hit && (!best || entry.path.length > best.entry.path.length)) best = { layer, entry };
    }
  }
  return best;
}
