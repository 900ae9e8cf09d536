import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  downloadModel,
  DownloadError,
  DownloadProgress,
  DTYPE_SUFFIX,
  MANIFEST,
  modelFolderName,
  onnxFileForDtype,
  resolveUrl,
} from '../../src/core/model/download';
import { validateModelDir } from '../../src/core/model/validateModel';
import { MODEL_DIR } from './helpers';
import { HubServer } from './hubServer';

const REPO = 'test-org/tiny-model';

function sha256File(p: string): string {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

async function rejects(p: Promise<unknown>, code: string, re?: RegExp): Promise<DownloadError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DownloadError, `expected a DownloadError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('downloader: naming', () => {
  it('follows transformers.js dtype suffixes', () => {
    assert.equal(onnxFileForDtype('fp32'), 'onnx/model.onnx');
    assert.equal(onnxFileForDtype('q8'), 'onnx/model_quantized.onnx');
    assert.equal(onnxFileForDtype('fp16'), 'onnx/model_fp16.onnx');
    assert.equal(onnxFileForDtype('q4'), 'onnx/model_q4.onnx');
    assert.equal(onnxFileForDtype('q4f16'), 'onnx/model_q4f16.onnx');
    assert.equal(DTYPE_SUFFIX.int8, '_int8');
    assert.throws(() => onnxFileForDtype('q3'), /unknown dtype/);
  });
  it('encodes revisions and paths, rejects bad repo ids', () => {
    assert.equal(
      resolveUrl('https://huggingface.co/', 'a/b', 'refs/pr/1', 'onnx/model.onnx'),
      'https://huggingface.co/a/b/resolve/refs%2Fpr%2F1/onnx/model.onnx',
    );
    assert.equal(modelFolderName('onnx-community/SmolLM2-135M', 'q8'), 'onnx-community--SmolLM2-135M--q8');
    assert.throws(() => modelFolderName('../etc', 'fp32'), /not a Hugging Face repository id/);
    assert.throws(() => modelFolderName('a/b/c', 'fp32'), /not a Hugging Face repository id/);
  });
});

describe('downloader against a loopback hub (real model files)', function () {
  this.timeout(60_000);
  let server: HubServer;
  let tmp: string;

  beforeEach(async () => {
    server = await HubServer.forModel(REPO, MODEL_DIR, { 'onnx/model_quantized.onnx': 'onnx/model.onnx' }, ['old-org/tiny-model']).start(50_000);
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-dl-'));
  });
  afterEach(async () => {
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('downloads, verifies and moves the model into place; a second call fetches nothing', async () => {
    const dest = join(tmp, 'models', modelFolderName(REPO, 'fp32'));
    const progress: DownloadProgress[] = [];
    const r = await downloadModel({ repo: REPO, dest, endpoint: server.endpoint, onProgress: (p) => progress.push(p) });
    assert.equal(r.dir, dest);
    assert.equal(r.commit, server.commit);
    assert.equal(r.upToDate, false);
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'])
      assert.equal(sha256File(join(dest, f)), sha256File(join(MODEL_DIR, f)), f);
    assert.ok(!existsSync(`${dest}.download`), 'staging folder removed');
    assert.deepEqual(readdirSync(join(tmp, 'models')), [modelFolderName(REPO, 'fp32')]);
    const manifest = JSON.parse(readFileSync(join(dest, MANIFEST), 'utf8'));
    assert.equal(manifest.commit, server.commit);
    const onnx = manifest.files.find((f: { path: string }) => f.path === 'onnx/model.onnx');
    assert.equal(onnx.sha256, server.sha256('onnx/model.onnx'));
    // Progress: bytes never go down, and end at the total.
    const last = progress[progress.length - 1];
    assert.equal(last.bytes, last.total);
    for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytes >= progress[i - 1].bytes);
    // LFS content came from the CDN port, after a HEAD on the hub that was not followed across hosts.
    const cdnGets = server.requests.filter((q) => q.method === 'GET' && q.url.startsWith('/cdn/'));
    assert.equal(cdnGets.length, 1);
    // Later files are fetched from the pinned commit.
    assert.ok(server.requests.some((q) => q.url.includes(`/resolve/${server.commit}/onnx/model.onnx`)));

    const before = server.requests.length;
    const again = await downloadModel({ repo: REPO, dest, endpoint: server.endpoint });
    assert.equal(again.upToDate, true);
    assert.equal(again.downloadedBytes, 0);
    assert.ok(server.requests.slice(before).every((q) => q.method === 'HEAD'));
  });

  it('downloads a dtype variant (q8 -> onnx/model_quantized.onnx) that the engine then loads', async () => {
    const dest = join(tmp, modelFolderName(REPO, 'q8'));
    const r = await downloadModel({ repo: REPO, dtype: 'q8', dest, endpoint: server.endpoint });
    assert.ok(r.files.some((f) => f.source === 'onnx/model_quantized.onnx' && f.path === 'onnx/model.onnx'));
    const summary = await validateModelDir(dest);
    assert.ok(summary.vocabSize > 0);
  });

  it('follows a relative redirect of a renamed repository', async () => {
    const dest = join(tmp, 'renamed');
    const r = await downloadModel({ repo: 'old-org/tiny-model', dest, endpoint: server.endpoint });
    assert.equal(r.commit, server.commit);
    assert.ok(existsSync(join(dest, 'onnx', 'model.onnx')));
  });

  it('resumes an interrupted transfer with a Range request (within a call, and across calls)', async () => {
    const size = server.size('onnx/model.onnx');
    server.faults = { dropAfterBytes: Math.floor(size / 3) };
    const dest = join(tmp, 'resume');
    // No retries: the first call fails, leaves the partial file in staging, and nothing at dest.
    await rejects(downloadModel({ repo: REPO, dest, endpoint: server.endpoint, retries: 0 }), 'DOWNLOAD_NETWORK', /interrupted|ended after/);
    assert.ok(!existsSync(dest), 'a partial download never appears at dest');
    const part = join(`${dest}.download`, 'onnx', 'model.onnx.part');
    assert.ok(existsSync(part));
    const have = statSync(part).size;
    assert.ok(have > 0 && have < size, `partial ${have} of ${size}`);
    // The second call resumes from the partial file.
    const r = await downloadModel({ repo: REPO, dest, endpoint: server.endpoint, retries: 0 });
    const ranged = server.requests.filter((q) => q.url.startsWith('/cdn/') && q.range);
    assert.equal(ranged.length, 1);
    assert.equal(ranged[0].range, `bytes=${have}-`);
    assert.ok(r.downloadedBytes < size, 'only the rest was transferred');
    assert.equal(sha256File(join(dest, 'onnx', 'model.onnx')), server.sha256('onnx/model.onnx'));

    // Within one call: the drop is retried automatically, resuming.
    server.faults = { dropAfterBytes: Math.floor(size / 2) };
    const dest2 = join(tmp, 'resume2');
    const server2Before = server.requests.length;
    await downloadModel({ repo: 'test-org/tiny-model', dtype: 'q8', dest: dest2, endpoint: server.endpoint, retries: 2, retryDelayMs: 10 });
    assert.ok(server.requests.slice(server2Before).some((q) => q.url.startsWith('/cdn/') && q.range));
    assert.equal(sha256File(join(dest2, 'onnx', 'model.onnx')), server.sha256('onnx/model.onnx'));
  });

  it('starts over when the server ignores Range', async () => {
    const size = server.size('onnx/model.onnx');
    server.faults = { dropAfterBytes: Math.floor(size / 4), ignoreRange: true };
    const dest = join(tmp, 'norange');
    await downloadModel({ repo: REPO, dest, endpoint: server.endpoint, retries: 1, retryDelayMs: 10 });
    assert.equal(sha256File(join(dest, 'onnx', 'model.onnx')), server.sha256('onnx/model.onnx'));
  });

  it('rejects a wrong sha256 (LFS) and a wrong git sha1 (regular file); nothing becomes active', async () => {
    server.faults = { wrongSha256: true };
    const dest = join(tmp, 'bad');
    await rejects(downloadModel({ repo: REPO, dest, endpoint: server.endpoint }), 'DOWNLOAD_CHECKSUM', /sha256 .* but the hub says/);
    assert.ok(!existsSync(dest));
    assert.ok(!existsSync(join(`${dest}.download`, 'onnx', 'model.onnx.part')), 'the corrupt file is deleted');
    assert.ok(!existsSync(join(`${dest}.download`, 'onnx', 'model.onnx')));

    server.faults = { wrongGitSha1: true };
    const dest2 = join(tmp, 'bad2');
    await rejects(downloadModel({ repo: REPO, dest: dest2, endpoint: server.endpoint }), 'DOWNLOAD_CHECKSUM', /git blob sha1/);
    assert.ok(!existsSync(dest2));
  });

  it('rejects a file larger than the hub says', async () => {
    server.faults = { sizeUnderstatedBy: 100 };
    const dest = join(tmp, 'size');
    await rejects(downloadModel({ repo: REPO, dest, endpoint: server.endpoint }), 'DOWNLOAD_SIZE', /larger than/);
    assert.ok(!existsSync(dest));
  });

  it('gives a clear error for a 404: unknown repository, revision, or dtype', async () => {
    await rejects(
      downloadModel({ repo: 'nobody/nothing', dest: join(tmp, 'x'), endpoint: server.endpoint }),
      'HUB_NOT_FOUND',
      /nobody\/nothing\/config\.json at revision main was not found on the hub \(HTTP 404/,
    );
    await rejects(
      downloadModel({ repo: REPO, revision: 'v9', dest: join(tmp, 'x'), endpoint: server.endpoint }),
      'HUB_NOT_FOUND',
      /revision v9/,
    );
    await rejects(
      downloadModel({ repo: REPO, dtype: 'q4', dest: join(tmp, 'x'), endpoint: server.endpoint }),
      'HUB_NOT_FOUND',
      /has no onnx\/model_q4\.onnx .*dtype "q4" is not available/,
    );
    assert.ok(!existsSync(join(tmp, 'x')));
  });

  it('can be cancelled while a slow server trickles bytes; a later call resumes', async () => {
    server.faults = { bytesPerSecond: 2 * 1024 * 1024 };
    const dest = join(tmp, 'slow');
    const ctl = new AbortController();
    let sawBytes = false;
    const p = downloadModel({
      repo: REPO,
      dest,
      endpoint: server.endpoint,
      signal: ctl.signal,
      onProgress: (q) => {
        if (q.file === 'onnx/model.onnx' && q.fileBytes > 256 * 1024 && !sawBytes) {
          sawBytes = true;
          setTimeout(() => ctl.abort(), 100);
        }
      },
    });
    const t0 = Date.now();
    await rejects(p, 'DOWNLOAD_CANCELLED');
    assert.ok(sawBytes);
    assert.ok(Date.now() - t0 < 15_000);
    assert.ok(!existsSync(dest));
    const part = join(`${dest}.download`, 'onnx', 'model.onnx.part');
    assert.ok(existsSync(part) && statSync(part).size > 0);
    server.faults = {};
    await downloadModel({ repo: REPO, dest, endpoint: server.endpoint });
    assert.ok(server.requests.some((q) => q.url.startsWith('/cdn/') && q.range));
    assert.equal(sha256File(join(dest, 'onnx', 'model.onnx')), server.sha256('onnx/model.onnx'));
  });

  it('gives up on a stalled server after the stall timeout', async () => {
    server.faults = { stall: true };
    const t0 = Date.now();
    await rejects(
      downloadModel({ repo: REPO, dest: join(tmp, 'stall'), endpoint: server.endpoint, stallTimeoutMs: 400, retries: 1, retryDelayMs: 10 }),
      'DOWNLOAD_NETWORK',
      /no data for 0.4 s/,
    );
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(!existsSync(join(tmp, 'stall')));
  });

  it('a cancelled signal stops before any request', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await rejects(downloadModel({ repo: REPO, dest: join(tmp, 'c'), endpoint: server.endpoint, signal: ctl.signal }), 'DOWNLOAD_CANCELLED');
    assert.equal(server.requests.length, 0);
  });
});

describe('downloader: unverifiable and failing hubs (issue 22)', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'plausibility-dl-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('refuses files without an ETag by default; allowUnverified installs them with a warning, never recorded as verified', async () => {
    const server = await HubServer.forModel(REPO, MODEL_DIR).start(50_000);
    server.faults = { noEtag: true };
    try {
      const dest = join(tmp, 'm');
      await assert.rejects(downloadModel({ repo: REPO, dest, endpoint: server.endpoint }), (e: unknown) => e instanceof DownloadError && e.code === 'DOWNLOAD_UNVERIFIED');
      assert.ok(!existsSync(dest));
      const warnings: string[] = [];
      const r = await downloadModel({ repo: REPO, dest, endpoint: server.endpoint, allowUnverified: true, onWarning: (w) => warnings.push(w) });
      assert.match(warnings.join('\n'), /no digest/);
      const manifest = JSON.parse(readFileSync(join(dest, MANIFEST), 'utf8'));
      for (const f of [...manifest.files, ...r.files]) {
        assert.equal(f.sha256, undefined, f.path);
        assert.equal(f.gitSha1, undefined, f.path);
        assert.equal(f.verified, false, f.path);
      }
    } finally {
      await server.stop();
    }
  });

  it('HTTP 500 from the hub is a clear HUB_HTTP error and nothing is installed', async () => {
    const server = await HubServer.forModel(REPO, MODEL_DIR).start(50_000);
    server.faults = { status500: true };
    try {
      const dest = join(tmp, 'm');
      await assert.rejects(downloadModel({ repo: REPO, dest, endpoint: server.endpoint }), (e: unknown) => e instanceof DownloadError && e.code === 'HUB_HTTP' && /500/.test(e.message));
      assert.ok(!existsSync(dest));
    } finally {
      await server.stop();
    }
  });

  it('a HEAD the hub never answers ends with DOWNLOAD_NETWORK after the HEAD timeout', async () => {
    const server = await HubServer.forModel(REPO, MODEL_DIR).start(50_000);
    server.faults = { headHang: true };
    try {
      const dest = join(tmp, 'm');
      await assert.rejects(
        downloadModel({ repo: REPO, dest, endpoint: server.endpoint, headTimeoutMs: 300 }),
        (e: unknown) => e instanceof DownloadError && e.code === 'DOWNLOAD_NETWORK' && /did not answer/.test(e.message),
      );
      assert.ok(!existsSync(dest));
    } finally {
      await server.stop();
    }
  });
});
