// The documentation stays true where a test can check it: every key of the configuration schema
// is named in docs/configuration.md, and its list of "keys of later releases" is exactly the set
// the loader refuses as not supported yet — no supported key listed there, none missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { schemaText } from '../../src/cli/schema.js';

interface Node { [k: string]: unknown }
const schema = JSON.parse(await schemaText()) as Node;
const doc = readFileSync('docs/configuration.md', 'utf8');

/** Every property of the schema: its dotted path ([] for list items, * for map values) and whether it is a later release's. */
function properties(): { path: string; key: string; notYet: boolean }[] {
  const out: { path: string; key: string; notYet: boolean }[] = [];
  const walk = (n: unknown, path: string): void => {
    if (n === null || typeof n !== 'object') return;
    const o = n as Node;
    for (const [k, v] of Object.entries((o.properties ?? {}) as Node)) {
      out.push({ path: path === '' ? k : `${path}.${k}`, key: k, notYet: (v as Node)['x-modelgate-not-yet'] === true });
      walk(v, path === '' ? k : `${path}.${k}`);
    }
    if (typeof o.items === 'object') walk(o.items, `${path}[]`);
    if (typeof o.additionalProperties === 'object') walk(o.additionalProperties, `${path}.*`);
    for (const v of Object.values((o.patternProperties ?? {}) as Node)) walk(v, `${path}.*`);
    for (const c of ['anyOf', 'oneOf', 'allOf']) if (Array.isArray(o[c])) for (const x of o[c] as unknown[]) walk(x, path);
  };
  walk(schema, '');
  return out;
}

test('every configuration key of the schema is named in docs/configuration.md', () => {
  const code = [...doc.matchAll(/`([^`\n]+)`/g), ...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const props = properties();
  assert.ok(props.length > 100, `the walk found the schema's keys (${props.length})`);
  const missing = props.filter((p) => !code.some((c) => new RegExp(`(^|[^A-Za-z0-9_])${p.key}([^A-Za-z0-9_]|$)`).test(c)));
  assert.deepEqual(missing.map((p) => p.path), []);
});

test('"keys of later releases" in docs/configuration.md lists exactly the keys refused as not supported yet', () => {
  const para = /\*\*Keys of later releases\*\* \(([\s\S]*?)\) are recognised/.exec(doc)?.[1];
  assert.ok(para !== undefined, 'the paragraph exists');
  const listed = new Set([...para.matchAll(/`([^`]+)`/g)].flatMap((m) => (m[1] as string).split(' / ')).map((s) => s.trim()));
  const refused = properties().filter((p) => p.notYet);
  for (const p of refused) {
    const leaf = p.key;
    const found = [...listed].some((l) => l === p.path || l.endsWith(`.${leaf}`) || l === leaf || l.replace(/^route /, '') === leaf);
    assert.ok(found, `${p.path} is refused as not supported yet but not listed`);
  }
  const leaves = new Set(refused.map((p) => p.key));
  for (const l of listed) {
    const leaf = l.replace(/^route /, '').split('.').pop() as string;
    assert.ok(leaves.has(leaf), `${l} is listed as a later release's key but the loader supports it (or it does not exist)`);
  }
});
