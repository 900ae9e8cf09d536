/**
 * Security invariants, checked on the sources and the manifest:
 * - nothing talks to the network except the model downloader, and only Select Model uses it;
 * - no onnxruntime custom-op library is ever registered (a model cannot bring native code);
 * - in an untrusted workspace, settings that name files or folders come from user settings only;
 * - the token report webview has a strict Content-Security-Policy and writes document text with textContent only.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SETTINGS } from '../../src/core/settings/schema';
import { ROOT } from './helpers';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

const SRC = sources(join(ROOT, 'src')).map((p) => ({ path: relative(ROOT, p).split('\\').join('/'), text: readFileSync(p, 'utf8') }));

describe('security invariants', () => {
  it('only the downloader (src/core/model/download/transfer.ts) opens network connections, and only Select Model starts a download', () => {
    const net = /\bfetch\s*\(|from ['"](?:node:)?(?:https?|net|tls|dgram|http2)['"]|require\(['"](?:node:)?(?:https?|net|tls|dgram|http2)['"]\)|\bXMLHttpRequest\b|\bnew WebSocket\b/;
    const users = SRC.filter((f) => net.test(f.text)).map((f) => f.path);
    assert.deepEqual(users, ['src/core/model/download/transfer.ts']);
    // Only Select Model starts a download (the core index merely re-exports the downloader).
    const callers = SRC.filter((f) => !f.path.startsWith('src/core/model/download/') && /\b(?:downloadModel|fileMetadata)\s*\(/.test(f.text)).map((f) => f.path);
    assert.deepEqual(callers, ['src/client/models.ts']);
  });

  it('no onnxruntime custom-op library is ever registered', () => {
    const custom = /registerCustomOpsLibrary|customOpsLibrary|custom_op_library|session\.load_custom_op|ortextensions|onnxruntime-extensions/i;
    assert.deepEqual(SRC.filter((f) => custom.test(f.text)).map((f) => f.path), []);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.ok(!('onnxruntime-extensions' in (pkg.dependencies ?? {})));
  });

  it('every setting that names a file or folder is restricted in untrusted workspaces and read from user settings', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    const props = Object.entries(pkg.contributes.configuration.properties as Record<string, { type?: string; markdownDescription?: string }>);
    const pathLike = props
      .filter(([key, p]) => (p.type === 'string' || p.type === undefined) && /model|discriminator|head|file|folder|path|dir/i.test(key))
      .filter(([key]) => !/maxFileLength/.test(key))
      .map(([key]) => key);
    assert.ok(pathLike.includes('plausibility.model'));
    for (const key of pathLike) assert.ok(restricted.includes(key), `${key} must be in restrictedConfigurations`);
    // The client reads them with inspect().globalValue when the workspace is not trusted (userLevelSetting), and the
    // settings it hands the server (serverSettings) take every restricted setting, and the model, through it.
    const config = SRC.find((f) => f.path === 'src/client/config.ts')!.text;
    assert.match(config, /if \(vscode\.workspace\.isTrusted\) return c\.get<T>\(key, fallback\);\s*const i = c\.inspect<T>\(key\);\s*return i\?\.globalValue\b/);
    assert.match(config, /spec\.restricted \? userLevelSetting\(key, /);
    assert.match(config, /userLevelSetting<string>\('model'/);
    // So every path-like setting is marked restricted in the one settings schema too.
    for (const key of pathLike) assert.equal(SETTINGS[key]?.restricted, true, `${key} must be restricted in src/core/settings/schema.ts`);
    // maxFileLength is restricted too (a workspace must not lift the size gate); VS Code applies only its user value.
    assert.ok(restricted.includes('plausibility.maxFileLength'));
    // Any other module that reads a path-like restricted setting does so through userLevelSetting() or inspect().
    for (const key of pathLike) {
      const short = key.replace(/^plausibility\./, '').replace(/\./g, '\\.');
      const plainGet = new RegExp(`\\.get(?:<[^>]*>)?\\(\\s*['"]${short}['"]`);
      const safeRead = new RegExp(`(?:userLevelSetting|inspect)(?:<[^>]*>)?\\(\\s*['"]${short}['"]`);
      for (const f of SRC.filter((x) => x.path.startsWith('src/client/') && plainGet.test(x.text)))
        assert.ok(safeRead.test(f.text), `${f.path} reads ${key} without userLevelSetting()/inspect() (workspace trust)`);
    }
  });

  it('the token report webview has a strict CSP and never renders document text as HTML', () => {
    const report = SRC.find((f) => f.path === 'src/client/report.ts')!.text;
    assert.match(report, /default-src 'none'/);
    assert.ok(!/unsafe-inline|unsafe-eval/.test(report), 'no unsafe-inline or unsafe-eval');
    assert.match(report, /script-src 'nonce-/);
    const js = readFileSync(join(ROOT, 'media', 'report.js'), 'utf8');
    assert.ok(!/\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=|document\.write/.test(js), 'media/report.js writes no HTML');
  });
});
