/**
 * The hub's naming rules as the downloader uses them: dtype suffixes (transformers.js), repository ids, resolve URLs
 * and model folder names, plus the downloader's options, results and errors.
 */
import { PlausibilityError } from '../../errors';
import { ownValue } from '../../ownKey';
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

/** The manifest written into a downloaded model folder. */
export interface Manifest {
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
  const suffix = ownValue(DTYPE_SUFFIX, dtype);
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
