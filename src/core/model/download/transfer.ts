/**
 * The downloader's network side, the only code that opens connections: HEAD requests for a file's size and digest,
 * redirects followed by hand, and resumable, verified GET transfers with retries.
 */
import { createHash, Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DownloadError, HubFileMeta, resolveUrl } from './repository';

function normalizeEtag(etag: string | null): string | undefined {
  if (!etag) return undefined;
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '').trim() || undefined;
}

/** The error a cancelled download ends with. */
export function cancelled(): DownloadError {
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
export async function fetchFile(
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

