/** src/core is the engine and the one pipeline: it imports no editor, worker, extension or CLI code. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('layout: src/core boundary', () => {
  it('no file in src/core imports vscode, the worker, the extension, the server, the client or the CLI', () => {
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'src', 'core'))) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1];
        if (spec === 'vscode' || /(^|\/)(worker|extension|server|client|cli)(\/|$)/.test(spec)) bad.push(`${f.slice(ROOT.length + 1)}: ${spec}`);
      }
    }
    assert.deepEqual(bad, []);
  });
});

describe('layout: the language server bundle', () => {
  it('no file in src/server imports vscode (the server runs outside any editor)', () => {
    const bad: string[] = [];
    for (const f of files(join(ROOT, 'src', 'server'))) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)) if (m[1] === 'vscode') bad.push(f.slice(ROOT.length + 1));
    }
    assert.deepEqual(bad, []);
  });

  it('dist/server.js and dist/cli.js (which carries `lsp`) do not contain the vscode module', () => {
    for (const bundle of ['server.js', 'cli.js']) {
      const file = join(ROOT, 'dist', bundle);
      assert.ok(existsSync(file), `${file} is missing: run npm run build first`);
      const src = readFileSync(file, 'utf8');
      assert.doesNotMatch(src, /require\(\s*['"]vscode['"]\s*\)|from\s*['"]vscode['"]/, bundle);
    }
  });

  it('the editor-side bundle dist/extension.js neither bundles nor loads onnxruntime (the engine runs in its own process)', () => {
    const file = join(ROOT, 'dist', 'extension.js');
    assert.ok(existsSync(file), `${file} is missing: run npm run build first`);
    const src = readFileSync(file, 'utf8');
    assert.doesNotMatch(src, /onnxruntime-(node|web|common)/, 'the client bundle names an onnxruntime module');
    assert.doesNotMatch(src, /InferenceSession\.create/);
  });
});

describe('layout: one folder per process', () => {
  const imports = (dir: string) =>
    files(join(ROOT, 'src', dir)).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)].map((m) => ({ file: f.slice(ROOT.length + 1), typeOnly: !!m[1], spec: m[2] })),
    );

  it('src has core, server, client and cli (and ambient types), nothing else', () => {
    assert.deepEqual(readdirSync(join(ROOT, 'src')).sort(), ['cli', 'client', 'core', 'server', 'types']);
  });

  it('the client imports no CLI code and no engine code at run time (only types, and pure core modules)', () => {
    const engineModules = /core\/(engine|model\/(ort|session|forward|load|kvCache|validateModel|scoringHead|tokenizer)|scoring\/(blockScore|candidates|conditional)|lint\/(linter|runner))$/;
    const bad = imports('client').filter((i) => /(^|\/)cli\//.test(i.spec) || (!i.typeOnly && engineModules.test(i.spec)));
    assert.deepEqual(bad, []);
  });

  it('the server imports no client or CLI code', () => {
    assert.deepEqual(imports('server').filter((i) => /(^|\/)(client|cli)\//.test(i.spec)), []);
  });
});

describe('layout: the CLI has no import cycles', () => {
  it('no module of src/cli imports main.ts, and the import graph of src/cli is acyclic', () => {
    const dir = join(ROOT, 'src', 'cli');
    const mods = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
    const edges = new Map<string, string[]>();
    for (const m of mods) {
      const src = readFileSync(join(dir, `${m}.ts`), 'utf8');
      // Type-only imports vanish at run time but still tie modules together; count them too.
      const deps = [...src.matchAll(/from\s+'\.\/([\w-]+)'/g)].map((x) => x[1]).filter((d) => mods.includes(d));
      edges.set(m, deps);
      if (m !== 'main') assert.ok(!deps.includes('main'), `${m}.ts imports main.ts`);
    }
    const state = new Map<string, number>();
    const visit = (m: string, path: string[]): void => {
      if (state.get(m) === 2) return;
      assert.notEqual(state.get(m), 1, `import cycle: ${[...path, m].join(' -> ')}`);
      state.set(m, 1);
      for (const d of edges.get(m) ?? []) visit(d, [...path, m]);
      state.set(m, 2);
    };
    for (const m of mods) visit(m, []);
  });
});
