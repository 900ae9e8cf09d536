/**
 * Downloading a model from the Hugging Face hub (or any server with the hub's URL layout) by repository id, revision
 * and dtype variant. No VS Code dependency.
 *
 * Files follow the transformers.js layout: `config.json`, `tokenizer.json`, `tokenizer_config.json` (optional) and
 * `onnx/model{suffix}.onnx`, where the suffix comes from the dtype exactly as transformers.js names it
 * (fp32 -> "", fp16 -> "_fp16", q8 -> "_quantized", int8 -> "_int8", uint8 -> "_uint8", q4 -> "_q4",
 * q4f16 -> "_q4f16", bnb4 -> "_bnb4"), plus the external-data chunks (`model{suffix}.onnx_data`, `_data_1`, ...) when
 * config.json's `transformers.js_config.use_external_data_format` asks for them.
 *
 * What the hub returns, and what is checked (the same rules as huggingface_hub's `get_hf_file_metadata`):
 * - `HEAD {endpoint}/{repo}/resolve/{revision}/{path}` without following redirects to another host. A relative
 *   redirect (a renamed repository) is followed. The response carries `X-Repo-Commit` (the commit the revision
 *   points at; later files are fetched from that commit so that all files match).
 * - For LFS/Xet files (the ONNX weights, large tokenizers) the hub answers with a 302 to its CDN and the headers
 *   `X-Linked-Etag: "<sha256 of the content>"` and `X-Linked-Size: <bytes>`.
 * - For regular git files (config.json, ...) it answers 200 with `ETag: "<git blob sha1>"` (sometimes weak, `W/"…"`)
 *   and `Content-Length` (the request says `Accept-Encoding: identity` so that the length is the file's).
 * - The file is then fetched with GET (redirects followed), into a staging folder, resuming a partial file with
 *   `Range: bytes=N-`. After the transfer the size and the digest are verified: sha256 for a 64-hex etag, the git
 *   blob sha1 (`sha1("blob <size>\0" + content)`) for a 40-hex one. A mismatch deletes the file and fails.
 * - Only when every file is complete and verified is the staging folder renamed into place (atomically, on the same
 *   file system); a partial or corrupt download never appears at the destination.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  checkRepoId,
  DownloadError,
  DownloadOptions,
  DownloadResult,
  HUB_ENDPOINT,
  HubFileMeta,
  Manifest,
  MANIFEST,
  onnxFileForDtype,
} from './repository';
import { cancelled, fetchFile, fileMetadata } from './transfer';

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** External-data chunk names of an ONNX file (transformers.js: `model.onnx_data`, `model.onnx_data_1`, ...). */
function externalDataFiles(config: Record<string, unknown>, onnxFile: string): string[] {
  const js = (config['transformers.js_config'] ?? {}) as { use_external_data_format?: unknown };
  const v = js.use_external_data_format;
  const full = onnxFile.slice('onnx/'.length);
  let n = 0;
  if (v && typeof v === 'object') {
    const rec = v as Record<string, unknown>;
    n = Number(rec[full] ?? rec['model'] ?? 0);
  } else n = Number(v ?? 0);
  if (!Number.isFinite(n) || n < 0) n = 0;
  n = Math.min(64, Math.floor(n));
  return Array.from({ length: n }, (_, i) => `${onnxFile}_data${i === 0 ? '' : `_${i}`}`);
}

/**
 * Downloads a model into `opts.dest`. The files go to `dest + '.download'` first (kept between calls, so a later call
 * resumes an interrupted download); only a complete, verified set is renamed to `dest`. If `dest` already holds the
 * same commit and dtype, nothing is fetched. The ONNX file is stored as `onnx/model.onnx`, the name every
 * Plausibility tool loads; the manifest `plausibility-download.json` records where each file came from.
 */
export async function downloadModel(opts: DownloadOptions): Promise<DownloadResult> {
  const repo = checkRepoId(opts.repo);
  const revision = (opts.revision ?? 'main').trim() || 'main';
  const dtype = (opts.dtype ?? 'fp32').trim() || 'fp32';
  const onnxFile = onnxFileForDtype(dtype);
  const endpoint = (opts.endpoint ?? HUB_ENDPOINT).replace(/\/+$/, '');
  const endpointHost = new URL(endpoint).host;
  const { signal, token } = opts;
  const dest = opts.dest;
  const staging = `${dest}.download`;
  if (signal?.aborted) throw cancelled();

  // 1. Metadata: config.json first (it pins the commit and says whether there is external data), then the rest.
  const head = (path: string, rev: string, optional = false) => fileMetadata(endpoint, repo, rev, path, { token, signal, optional, timeoutMs: opts.headTimeoutMs });
  const configMeta = (await head('config.json', revision))!;
  if (!configMeta.sha256 && !configMeta.gitSha1 && !opts.allowUnverified)
    throw new DownloadError(
      `the hub sent no digest (ETag) for config.json of ${repo}, so the download cannot be verified; nothing was downloaded. Allow unverified files to fetch it anyway.`,
      'DOWNLOAD_UNVERIFIED',
    );
  const commit = configMeta.commit;
  const pinned = commit && /^[0-9a-f]{40}$/.test(commit) ? commit : revision;

  // Up to date already?
  const existing = existsSync(dest) ? readManifest(dest) : undefined;
  if (existing && commit && existing.commit === commit && existing.dtype === dtype && existing.repo === repo && existing.completedAt) {
    const whole = existing.files.every((f) => existsSync(join(dest, f.path)) && statSync(join(dest, f.path)).size === f.size);
    if (whole)
      return { dir: dest, repo, revision, commit, dtype, files: existing.files, upToDate: true, downloadedBytes: 0 };
  }

  // The staging folder belongs to one commit: a different one starts afresh.
  const stagingManifest = existsSync(staging) ? readManifest(staging) : undefined;
  if (existsSync(staging) && (!stagingManifest || stagingManifest.commit !== commit || stagingManifest.dtype !== dtype || stagingManifest.repo !== repo))
    rmSync(staging, { recursive: true, force: true });
  try {
    mkdirSync(staging, { recursive: true });
  } catch (e) {
    throw new DownloadError(`cannot create ${staging}: ${(e as Error).message}`, 'DOWNLOAD_FS');
  }
  const manifest: Manifest = { repo, revision, commit, dtype, endpoint, files: [] };
  writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest, null, 2));

  const common = {
    token,
    endpointHost,
    signal,
    stallTimeoutMs: opts.stallTimeoutMs ?? 30_000,
    retries: opts.retries ?? 3,
    retryDelayMs: opts.retryDelayMs ?? 500,
  };
  let downloaded = 0;
  // config.json is needed to know the file list; fetch it now (it is small).
  const cfgTarget = join(staging, 'config.json');
  if (!existsSync(cfgTarget)) downloaded += (await fetchFile(configMeta, cfgTarget, { ...common, onBytes: () => undefined })).transferred;
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(cfgTarget, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    rmSync(cfgTarget, { force: true });
    throw new DownloadError(`${repo}: config.json is not valid JSON (${(e as Error).message})`, 'HUB_BAD_REQUEST');
  }

  const metas: { meta: HubFileMeta; stored: string }[] = [{ meta: configMeta, stored: 'config.json' }];
  const required = ['tokenizer.json', onnxFile, ...externalDataFiles(config, onnxFile)];
  const optional = ['tokenizer_config.json', ...(opts.optionalFiles ?? ['surprisal_stats.json'])];
  for (const path of required) {
    let meta: HubFileMeta | undefined;
    try {
      meta = await head(path, pinned);
    } catch (e) {
      if (e instanceof DownloadError && e.code === 'HUB_NOT_FOUND' && path === onnxFile)
        throw new DownloadError(
          `${repo} has no ${onnxFile} at revision ${revision}: the dtype "${dtype}" is not available for this model.`,
          'HUB_NOT_FOUND',
        );
      throw e;
    }
    metas.push({ meta: meta!, stored: path === onnxFile ? 'onnx/model.onnx' : path });
  }
  for (const path of optional) {
    const meta = await head(path, pinned, true);
    if (meta) metas.push({ meta, stored: path });
  }

  // Without a digest from the hub nothing can check the bytes: refuse unless the caller allows unverified files.
  const unverified = new Set(metas.filter(({ meta }) => !meta.sha256 && !meta.gitSha1).map(({ meta }) => meta.path));
  if (unverified.size > 0) {
    const list = [...unverified].join(', ');
    if (!opts.allowUnverified)
      throw new DownloadError(
        `the hub sent no digest (ETag) for ${list} of ${repo}, so the download cannot be verified; nothing was installed. Allow unverified files to fetch it anyway.`,
        'DOWNLOAD_UNVERIFIED',
      );
    opts.onWarning?.(`${repo}: the hub sent no digest for ${list}; these files are installed unverified`);
  }

  // 2. Transfer, with progress over all files.
  const total = metas.reduce((a, m) => a + m.meta.size, 0);
  const done = new Map<string, number>();
  const report = (i: number, fileBytes: number, resumed: number) => {
    const m = metas[i];
    done.set(m.stored, fileBytes);
    let bytes = 0;
    for (const v of done.values()) bytes += v;
    opts.onProgress?.({
      file: m.meta.path,
      fileBytes,
      fileTotal: m.meta.size,
      bytes,
      total,
      index: i + 1,
      files: metas.length,
      resumedBytes: resumed,
    });
  };
  for (let i = 0; i < metas.length; i++) {
    const { meta, stored } = metas[i];
    const target = join(staging, stored);
    let sha256: string | undefined;
    if (existsSync(target) && statSync(target).size === meta.size && stored !== 'config.json') {
      // Verified in an earlier call (files are renamed from .part only after verification).
      report(i, meta.size, meta.size);
    } else if (stored === 'config.json') {
      report(i, meta.size, meta.size);
    } else {
      const r = await fetchFile(meta, target, { ...common, onBytes: (b, resumed) => report(i, b, resumed) });
      sha256 = r.sha256;
      downloaded += r.transferred;
    }
    // A sha256 is recorded only when it was checked against the hub's; an unchecked file says so.
    const checked = !unverified.has(meta.path);
    manifest.files.push({
      path: stored,
      source: meta.path,
      size: meta.size,
      ...(checked ? { sha256: sha256 ?? meta.sha256, gitSha1: meta.gitSha1 } : { verified: false }),
    });
  }

  // 3. Into place, atomically.
  manifest.completedAt = new Date().toISOString();
  writeFileSync(join(staging, MANIFEST), JSON.stringify(manifest, null, 2));
  if (signal?.aborted) throw cancelled();
  const old = `${dest}.old-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(dirname(dest), { recursive: true });
    if (existsSync(dest)) renameSync(dest, old);
    try {
      renameSync(staging, dest);
    } catch (e) {
      if (existsSync(old)) renameSync(old, dest);
      throw e;
    }
  } catch (e) {
    throw new DownloadError(`cannot move the download into ${dest}: ${(e as Error).message}`, 'DOWNLOAD_FS');
  }
  rmSync(old, { recursive: true, force: true });
  return { dir: dest, repo, revision, commit, dtype, files: manifest.files, upToDate: false, downloadedBytes: downloaded };
}
