/** Extension-side defects of issue 22 (items 2 and 3), through vscode-free modules (src/core, src/core/settings/paths.ts). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AllowListError, appendToAllowList } from '../../src/core/text/allowListFile';
import { resolveSettingPath } from '../../src/core/settings/paths';

describe('reliability: the allow-list file', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-allow-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('creates and appends to a regular file, atomically (no temporary file left behind)', () => {
    appendToAllowList(tmp, '  foo   bar ', { trusted: true });
    appendToAllowList(tmp, 'baz', { trusted: true });
    const text = readFileSync(join(tmp, '.vscode', 'plausibility-allow.txt'), 'utf8');
    assert.match(text, /^#.*\nfoo bar\nbaz\n$/);
    assert.deepEqual(readdirSync(join(tmp, '.vscode')), ['plausibility-allow.txt']);
  });

  it('refuses a symlinked allow-list or .vscode, a hard link, a FIFO and a folder, leaving the target untouched', () => {
    const victim = join(tmp, 'bashrc');
    writeFileSync(victim, 'export PATH=/usr/bin\n');
    const ws = join(tmp, 'ws');
    mkdirSync(join(ws, '.vscode'), { recursive: true });
    const file = join(ws, '.vscode', 'plausibility-allow.txt');
    symlinkSync(victim, file);
    assert.throws(() => appendToAllowList(ws, 'rm -rf ~', { trusted: true }), /symbolic link/);
    rmSync(file);
    linkSync(victim, file);
    assert.throws(() => appendToAllowList(ws, 'rm -rf ~', { trusted: true }), /hard links/);
    rmSync(file);
    assert.equal(spawnSync('mkfifo', [file]).status, 0);
    assert.throws(() => appendToAllowList(ws, 'x', { trusted: true }), /not a regular file/);
    rmSync(file);
    mkdirSync(file);
    assert.throws(() => appendToAllowList(ws, 'x', { trusted: true }), /not a regular file/);
    const ws2 = join(tmp, 'ws2');
    mkdirSync(ws2);
    symlinkSync(tmp, join(ws2, '.vscode'));
    assert.throws(() => appendToAllowList(ws2, 'x', { trusted: true }), /not a plain folder/);
    assert.equal(readFileSync(victim, 'utf8'), 'export PATH=/usr/bin\n');
  });

  it('never writes in an untrusted workspace', () => {
    assert.throws(() => appendToAllowList(tmp, 'x', { trusted: false }), AllowListError);
    assert.throws(() => lstatSync(join(tmp, '.vscode')));
  });
});

describe('reliability: model and head paths in untrusted workspaces', () => {
  const ctx = { workspaceFolder: '/repo', home: '/home/u' };
  it('a relative path resolves against the workspace only when it is trusted, else against the home folder', () => {
    assert.equal(resolveSettingPath('models/x', { ...ctx, trusted: true }), '/repo/models/x');
    assert.equal(resolveSettingPath('models/x', { ...ctx, trusted: false }), '/home/u/models/x');
    assert.equal(resolveSettingPath('../repo/models/x', { ...ctx, trusted: false }), '/home/repo/models/x');
    assert.equal(resolveSettingPath('~/m', { ...ctx, trusted: false }), '/home/u/m');
    assert.equal(resolveSettingPath('/opt/m', { ...ctx, trusted: false }), '/opt/m');
    assert.equal(resolveSettingPath('head.json', { home: '/home/u', trusted: true }), '/home/u/head.json');
  });
});
