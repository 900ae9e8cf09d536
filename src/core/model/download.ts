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
import { createHash, Hash } from 'node:crypto';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { PlausibilityError } from '../errors';

/** The dtype -> file-name suffix convention of transformers.js (utils/dtypes.js, DEFAULT_DTYPE_SUFFIX_MAPPING). */
export const DTYPE_SUFFIX: Readonly<Record<string, string>> = Object.freeze({
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
});

/** Name of the manifest written into a downloaded model folder. */
export const MANIFEST = 'plausibility-download.json';

/** The default hub endpoint. */
export const HUB_ENDPOINT = 'https://huggingface.co';

export class DownloadError extends PlausibilityError {
  constructor(
    message: string,
    code:
      | 'HUB_BAD_REQUEST'
      | 'HUB_NOT_FOUND'
      | 'HUB_AUTH'
      | 'HUB_HTTP'
      | 'DOWNLOAD_NETWORK'
      | 'DOWNLOAD_SIZE'
      | 'DOWNLOAD_CHECKSUM'
      | 'DOWNLOAD_UNVERIFIED'
      | 'DOWNLOAD_CANCELLED'
      | 'DOWNLOAD_FS',
  ) {
    super(message, code);
    this.name = code === 'DOWNLOAD_CANCELLED' ? 'DownloadCancelledError' : 'DownloadError';
  }
}

export interface DownloadProgress {
  /** The file being transferred (repository path). */
  file: string;
  /** Bytes of this file on disk so far (resumed bytes included), and its size. */
  fileBytes: number;
  fileTotal: number;
  /** Bytes of all files on disk so far, and their total size. */
  bytes: number;
  total: number;
  /** 1-based index of the file and the number of files. */
  index: number;
  files: number;
  /** Bytes that were already on disk from an earlier, interrupted download. */
  resumedBytes: number;
}

export interface DownloadOptions {
  /** Repository id, e.g. `onnx-community/SmolLM2-135M`. */
  repo: string;
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** transformers.js dtype: fp32 (default), fp16, q8, int8, uint8, q4, q4f16, bnb4. */
  dtype?: string;
  /** The folder the model ends up in. It appears only once everything is verified. */
  dest: string;
  /** Hub endpoint (default https://huggingface.co). */
  endpoint?: string;
  /** Bearer token for private or gated repositories (sent to the endpoint's host only). */
  token?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Abort a transfer after this long without a byte, then retry (default 30 s). */
  stallTimeoutMs?: number;
  /** Retries of a file after a network error, each resuming where the last one stopped (default 3). */
  retries?: number;
  /** Delay before a retry (default 500 ms, doubling). */
  retryDelayMs?: number;
  /** Extra optional files to fetch when the repository has them (default: surprisal_stats.json). */
  optionalFiles?: string[];
  /**
   * Accept files the hub sends without a digest (no ETag): off by default, since nothing could check them. When on,
   * each such file is reported through `onWarning` and recorded in the manifest as unverified.
   */
  allowUnverified?: boolean;
  onWarning?: (message: string) => void;
  /** How long to wait for the hub's answer to a HEAD request (default 30 s). */
  headTimeoutMs?: number;
}

/** What the hub says about one file. */
export interface HubFileMeta {
  path: string;
  /** URL the content is fetched from (the CDN location for LFS files). */
  url: string;
  size: number;
  /** sha256 of the content (LFS files). */
  sha256?: string;
  /** git blob sha1 (regular files). */
  gitSha1?: string;
  commit?: string;
}

export interface DownloadResult {
  dir: string;
  repo: string;
  revision: string;
  commit: string | undefined;
  dtype: string;
  /** Files as stored in `dir` (the ONNX file is stored as onnx/model.onnx, the name the engine loads). */
  files: { path: string; source: string; size: number; sha256?: string; gitSha1?: string; verified?: false }[];
  /** True when `dest` already held this exact download and nothing was fetched. */
  upToDate: boolean;
  /** Bytes transferred over the network in this call. */
  downloadedBytes: number;
}

interface Manifest {
  repo: string;
  revision: string;
  commit?: string;
  dtype: string;
  endpoint: string;
  files: DownloadResult['files'];
  completedAt?: string;
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/;

/** The ONNX file of a dtype under onnx/ (transformers.js naming). Throws for an unknown dtype. */
export function onnxFileForDtype(dtype: string): string {
  const suffix = DTYPE_SUFFIX[dtype];
  if (suffix === undefined)
    throw new DownloadError(
      `unknown dtype "${dtype}" (expected one of ${Object.keys(DTYPE_SUFFIX).join(', ')})`,
      'HUB_BAD_REQUEST',
    );
  return `onnx/model${suffix}.onnx`;
}

/** Checks a repository id (owner/name) and returns it trimmed. */
export function checkRepoId(repo: string): string {
  const r = repo.trim();
  if (!REPO_RE.test(r) || r.includes('..') || r.length > 96)
    throw new DownloadError(`"${repo}" is not a Hugging Face repository id (expected owner/name)`, 'HUB_BAD_REQUEST');
  return r;
}

/** A folder-name-safe form of a repository id and dtype, e.g. `onnx-community--SmolLM2-135M--q8`. */
export function modelFolderName(repo: string, dtype: string): string {
  return `${checkRepoId(repo).replace(/\//g, '--')}--${dtype}`.replace(/[^\w.-]/g, '_');
}

/** `{endpoint}/{repo}/resolve/{revision}/{path}` with the revision and every path segment encoded. */
export function resolveUrl(endpoint: string, repo: string, revision: string, path: string): string {
  const base = endpoint.replace(/\/+$/, '');
  const p = path.split('/').map(encodeURIComponent).join('/');
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${p}`;
}

function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '').trim() || undefined;
}

function cancelled(): DownloadError {
  return new DownloadError('Download cancelled.', 'DOWNLOAD_CANCELLED');
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function describeStatus(status: number, what: string, url: string): DownloadError {
  if (status === 404)
    return new DownloadError(`${what} was not found on the hub (HTTP 404: ${url}).`, 'HUB_NOT_FOUND');
  if (status === 401 || status === 403)
    return new DownloadError(
      `${what} needs authorisation (HTTP ${status}): the repository is private or gated (${url}).`,
      'HUB_AUTH',
    );
  return new DownloadError(`${what}: the server answered HTTP ${status} (${url}).`, 'HUB_HTTP');
}

/**
 * A fetch that follows redirects by hand (at most 10): same-host redirects keep the Authorization header, redirects
 * to another host (the hub's CDN) drop it. With `stopAtCrossHost`, a redirect to another host is not followed and
 * the 3xx response is returned (HEAD for metadata).
 */
async function fetchFollow(
  url: string,
  init: { method: string; headers: Record<string, string>; signal: AbortSignal },
  stopAtCrossHost: boolean,
): Promise<{ res: Response; url: string }> {
  let current = url;
  const origin = new URL(url).host;
  for (let hop = 0; hop <= 10; hop++) {
    const headers = { ...init.headers };
    if (new URL(current).host !== origin) delete headers['Authorization'];
    let res: Response;
    try {
      res = await fetch(current, { method: init.method, headers, signal: init.signal, redirect: 'manual' });
    } catch (e) {
      if (isAbort(e)) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new DownloadError(
        `could not reach ${new URL(current).host}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
        'DOWNLOAD_NETWORK',
      );
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      const next = new URL(res.headers.get('location')!, current).toString();
      const sameHost = new URL(next).host === new URL(current).host;
      if (stopAtCrossHost && !sameHost) return { res, url: current };
      await res.body?.cancel().catch(() => undefined);
      current = next;
      continue;
    }
    return { res, url: current };
  }
  throw new DownloadError(`too many redirects for ${url}`, 'HUB_HTTP');
}

/** Reads the hub's metadata of one file (HEAD on /resolve/). Resolves undefined for a 404 when `optional`. */
export async function fileMetadata(
  endpoint: string,
  repo: string,
  revision: string,
  path: string,
  opts: { token?: string; signal?: AbortSignal; optional?: boolean; timeoutMs?: number } = {},
): Promise<HubFileMeta | undefined> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const url = resolveUrl(endpoint, repo, revision, path);
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (opts.token) headers['Authorization'] = `Bearer ${opts.token}`;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const onAbort = () => ctl.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { res } = await fetchFollow(url, { method: 'HEAD', headers, signal: ctl.signal }, true);
    if (res.status === 404 && opts.optional) return undefined;
    const redirect = res.status >= 300 && res.status < 400;
    if (!res.ok && !redirect) throw describeStatus(res.status, `${repo}/${path} at revision ${revision}`, url);
    const etag = normalizeEtag(res.headers.get('x-linked-etag') ?? res.headers.get('etag'));
    const sizeHeader = res.headers.get('x-linked-size') ?? res.headers.get('content-length');
    const size = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : NaN;
    if (!Number.isFinite(size))
      throw new DownloadError(`the hub gave no size for ${repo}/${path} (no X-Linked-Size or Content-Length)`, 'HUB_HTTP');
    const meta: HubFileMeta = {
      path,
      url: redirect ? new URL(res.headers.get('location')!, url).toString() : url,
      size,
      commit: res.headers.get('x-repo-commit') ?? undefined,
    };
    if (etag && /^[0-9a-f]{64}$/i.test(etag)) meta.sha256 = etag.toLowerCase();
    else if (etag && /^[0-9a-f]{40}$/i.test(etag)) meta.gitSha1 = etag.toLowerCase();
    return meta;
  } catch (e) {
    if (opts.signal?.aborted) throw cancelled();
    if (isAbort(e))
      throw new DownloadError(`the hub did not answer for ${repo}/${path} within ${Math.round(timeoutMs / 100) / 10} s`, 'DOWNLOAD_NETWORK');
    throw e;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

function newHashes(meta: HubFileMeta): { sha256: Hash; sha1?: Hash } {
  const sha256 = createHash('sha256');
  let sha1: Hash | undefined;
  if (meta.gitSha1) {
    sha1 = createHash('sha1');
    sha1.update(`blob ${meta.size}\0`);
  }
  return { sha256, sha1 };
}

async function hashExisting(path: string, h: { sha256: Hash; sha1?: Hash }, signal?: AbortSignal): Promise<void> {
  for await (const chunk of createReadStream(path)) {
    if (signal?.aborted) throw cancelled();
    h.sha256.update(chunk as Buffer);
    h.sha1?.update(chunk as Buffer);
  }
}

/**
 * Fetches one file into `target`, resuming `target + '.part'` with a Range request, and verifies size and digest.
 * Returns the sha256 of the content.
 */
async function fetchFile(
  meta: HubFileMeta,
  target: string,
  o: {
    token?: string;
    endpointHost: string;
    signal?: AbortSignal;
    stallTimeoutMs: number;
    retries: number;
    retryDelayMs: number;
    onBytes: (fileBytes: number, resumed: number) => void;
  },
): Promise<{ sha256: string; transferred: number }> {
  const part = `${target}.part`;
  mkdirSync(dirname(target), { recursive: true });
  let transferred = 0;
  let attempt = 0;
  for (;;) {
    if (o.signal?.aborted) throw cancelled();
    let have = existsSync(part) ? statSync(part).size : 0;
    if (have > meta.size) {
      rmSync(part, { force: true });
      have = 0;
    }
    const h = newHashes(meta);
    if (have > 0) await hashExisting(part, h, o.signal);
    const resumed = have;
    o.onBytes(have, resumed);
    try {
      if (have < meta.size) {
        const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
        if (o.token && new URL(meta.url).host === o.endpointHost) headers['Authorization'] = `Bearer ${o.token}`;
        if (have > 0) headers['Range'] = `bytes=${have}-`;
        const ctl = new AbortController();
        let stalled = false;
        let timer: NodeJS.Timeout | undefined;
        const arm = () => {
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            stalled = true;
            ctl.abort();
          }, o.stallTimeoutMs);
        };
        const onAbort = () => ctl.abort();
        o.signal?.addEventListener('abort', onAbort, { once: true });
        arm();
        try {
          const { res, url } = await fetchFollow(meta.url, { method: 'GET', headers, signal: ctl.signal }, false);
          if (res.status === 416 && have > 0) {
            // Nothing left to send: the partial file may already be whole (checked below), else start over.
            await res.body?.cancel().catch(() => undefined);
            if (have !== meta.size) {
              rmSync(part, { force: true });
              throw new DownloadError(`the server refused to resume ${meta.path}`, 'DOWNLOAD_NETWORK');
            }
          } else {
            if (!res.ok) throw describeStatus(res.status, meta.path, url);
            let append = false;
            if (res.status === 206) {
              const m = /bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
              if (!m || Number(m[1]) !== have)
                throw new DownloadError(`the server resumed ${meta.path} at the wrong offset`, 'DOWNLOAD_NETWORK');
              append = true;
            } else if (have > 0) {
              // The server ignored the Range header: start over.
              have = 0;
              h.sha256 = createHash('sha256');
              if (h.sha1) {
                h.sha1 = createHash('sha1');
                h.sha1.update(`blob ${meta.size}\0`);
              }
              o.onBytes(0, 0);
            }
            const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
            const closed = new Promise<void>((resolve, reject) => {
              out.on('close', resolve);
              out.on('error', reject);
            });
            try {
              if (!res.body) throw new DownloadError(`empty response for ${meta.path}`, 'DOWNLOAD_NETWORK');
              for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
                arm();
                have += chunk.length;
                transferred += chunk.length;
                if (have > meta.size)
                  throw new DownloadError(
                    `${meta.path} is larger than the hub's stated size of ${meta.size} bytes`,
                    'DOWNLOAD_SIZE',
                  );
                h.sha256.update(chunk);
                h.sha1?.update(chunk);
                if (!out.write(chunk)) await once(out, 'drain');
                o.onBytes(have, resumed);
              }
            } finally {
              out.end();
              await closed.catch(() => undefined);
            }
          }
        } catch (e) {
          if (o.signal?.aborted) throw cancelled();
          if (stalled)
            throw new DownloadError(`no data for ${o.stallTimeoutMs / 1000} s while fetching ${meta.path}`, 'DOWNLOAD_NETWORK');
          if (isAbort(e)) throw cancelled();
          if (e instanceof DownloadError) throw e;
          // A connection reset or a truncated body: retried below, resuming from what reached the disk.
          const cause = (e as { cause?: { code?: string } }).cause;
          throw new DownloadError(
            `the transfer of ${meta.path} was interrupted (${cause?.code ?? (e as Error).message})`,
            'DOWNLOAD_NETWORK',
          );
        } finally {
          if (timer) clearTimeout(timer);
          o.signal?.removeEventListener('abort', onAbort);
        }
      }
      const size = statSync(part).size;
      if (size !== meta.size) {
        throw new DownloadError(
          `the transfer of ${meta.path} ended after ${size} of ${meta.size} bytes`,
          'DOWNLOAD_NETWORK',
        );
      }
      const sha256 = h.sha256.digest('hex');
      if (meta.sha256 && sha256 !== meta.sha256) {
        rmSync(part, { force: true });
        throw new DownloadError(
          `${meta.path} failed verification: its sha256 is ${sha256} but the hub says ${meta.sha256}. The file was deleted.`,
          'DOWNLOAD_CHECKSUM',
        );
      }
      if (meta.gitSha1) {
        const sha1 = h.sha1!.digest('hex');
        if (sha1 !== meta.gitSha1) {
          rmSync(part, { force: true });
          throw new DownloadError(
            `${meta.path} failed verification: its git blob sha1 is ${sha1} but the hub says ${meta.gitSha1}. The file was deleted.`,
            'DOWNLOAD_CHECKSUM',
          );
        }
      }
      renameSync(part, target);
      return { sha256, transferred };
    } catch (e) {
      const retryable = e instanceof DownloadError && e.code === 'DOWNLOAD_NETWORK';
      if (!retryable || attempt >= o.retries) throw e;
      attempt++;
      await sleep(o.retryDelayMs * 2 ** (attempt - 1), o.signal);
    }
  }
}

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
