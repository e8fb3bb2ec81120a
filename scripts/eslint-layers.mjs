// ESLint plugin `layers` with one rule, `layers/layers`: a module under src/ imports only from its own layer or lower
// ones (the table is scripts/layers.mjs), never from outside src/, and every file under src/ belongs to a layer.
// Static imports, re-exports, import() and `typeof import()` with a literal path, and require() are all checked.
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerOf } from './layers.mjs';

/** The src/ folder this rule guards: the one beside scripts/. */
export const SRC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** `a/b.js` → `a/b.ts`; a path without an extension names a folder (its index). */
function normalise(rel) {
  const posix = rel.split(sep).join('/');
  if (/\.(m|c)?js$/.test(posix)) return posix.replace(/\.(m|c)?js$/, '.ts');
  if (/\.(m|c)?ts$/.test(posix)) return posix;
  return `${posix}/`;
}

/** A path relative to src/, or undefined when it lies outside src/. */
function underSrc(abs, srcDir) {
  const rel = relative(srcDir, abs);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep) || /^[A-Za-z]:/.test(rel)) return undefined;
  return rel;
}

function describe(found) {
  return `layer ${found.layer.layer}, ${found.layer.name}`;
}

/** @type {import('eslint').Rule.RuleModule} */
const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'A module under src/ imports only from its own layer or lower ones (scripts/layers.mjs).' },
    schema: [{ type: 'object', properties: { srcDir: { type: 'string' } }, additionalProperties: false }],
    messages: {
      upward:
        '`src/{{from}}` ({{fromLayer}}) imports `src/{{to}}` ({{toLayer}}): a module may import only from its own layer or lower ones. Move what both need down to layer {{max}} or lower (layer table: scripts/layers.mjs; map: ARCHITECTURE.md).',
      sealed:
        '`src/{{from}}` ({{fromLayer}}) is sealed: it imports only from lower layers, and `src/{{to}}` is in its own layer. Move what both need below layer {{layer}} (scripts/layers.mjs).',
      outside:
        '`src/{{from}}` imports `{{spec}}`, which is outside src/: the package ships only what src/ builds, so src/ imports nothing from test/, bench/, scripts/ or examples/.',
      unplaced:
        '`src/{{from}}` is in no layer: add its folder (`{{folder}}`) to the layer it belongs to in scripts/layers.mjs, and the file to that layer\'s section of ARCHITECTURE.md.',
    },
  },
  create(context) {
    const srcDir = context.options[0]?.srcDir ? resolve(context.options[0].srcDir) : SRC_DIR;
    const filename = resolve(context.filename);
    const fromRel = underSrc(filename, srcDir);
    if (fromRel === undefined) return {};
    const from = normalise(fromRel);
    const fromFound = layerOf(from);

    function check(node, spec) {
      if (typeof spec !== 'string' || !spec.startsWith('.') || !fromFound) return;
      const abs = resolve(dirname(filename), spec);
      const toRel = underSrc(abs, srcDir);
      if (toRel === undefined) {
        context.report({ node, messageId: 'outside', data: { from, spec } });
        return;
      }
      const to = normalise(toRel);
      const toFound = layerOf(to);
      if (!toFound) return; // the target file reports itself as unplaced
      const data = { from, to: to.replace(/\/$/, ''), fromLayer: describe(fromFound), toLayer: describe(toFound) };
      if (toFound.layer.layer > fromFound.layer.layer) {
        context.report({ node, messageId: 'upward', data: { ...data, max: String(fromFound.layer.layer) } });
      } else if (
        fromFound.entry.sealed &&
        toFound.layer.layer === fromFound.layer.layer &&
        toFound.entry !== fromFound.entry
      ) {
        context.report({ node, messageId: 'sealed', data: { ...data, layer: String(fromFound.layer.layer) } });
      }
    }

    /** The string of a literal or an expression-free template literal. */
    function literal(node) {
      if (!node) return undefined;
      if (node.type === 'Literal') return node.value;
      if (node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0]?.value.cooked;
      if (node.type === 'TSLiteralType') return literal(node.literal);
      return undefined;
    }

    return {
      Program(node) {
        if (fromFound) return;
        const folder = from.includes('/') ? `${from.split('/')[0]}/` : from;
        context.report({ node, messageId: 'unplaced', data: { from, folder } });
      },
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, literal(node.source)),
      TSImportType: (node) => check(node, literal(node.argument) ?? literal(node.source)),
      TSExternalModuleReference: (node) => check(node, literal(node.expression)),
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, literal(node.arguments[0]));
      },
    };
  },
};

/** The plugin: `plugins: { layers }`, rule `layers/layers`. */
export const layersPlugin = { meta: { name: 'botwarden-layers' }, rules: { layers: layersRule } };

