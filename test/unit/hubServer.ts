/**
 * A stand-in for the Hugging Face hub on loopback, for the downloader's tests. It serves a model folder in the hub's
 * URL layout, with the headers the hub really sends:
 *
 * - `HEAD|GET /{repo}/resolve/{revision}/{path}`: regular files answer 200 with `ETag: "<git blob sha1>"`,
 *   `Content-Length` and `X-Repo-Commit`; LFS files (*.onnx, *.onnx_data) answer 302 to a CDN on another port with
 *   `X-Linked-Etag: "<sha256>"`, `X-Linked-Size` and `X-Repo-Commit`. Unknown repo/revision/file: 404 with
 *   `X-Error-Code`. A renamed repository answers 307 with a relative Location.
 * - `GET /cdn/{sha256}` on the CDN port: the content, with `Range` support (206 + Content-Range).
 *
 * Faults for the tests: drop the connection after N bytes (once per file), lie about the sha256 or the size, trickle
 * the bytes slowly, or stall after the headers. Both listeners are bound to 127.0.0.1 only, and close themselves after
 * `lifetimeMs` whatever happens.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface HubFaults {
  /** Close the socket after this many body bytes of the first CDN GET of each file. */
  dropAfterBytes?: number;
  /** Announce a wrong sha256 for LFS files. */
  wrongSha256?: boolean;
  /** Announce a wrong git sha1 for regular files. */
  wrongGitSha1?: boolean;
  /** Announce this many bytes less than the real size for LFS files. */
  sizeUnderstatedBy?: number;
  /** Send LFS bodies at about this rate. */
  bytesPerSecond?: number;
  /** Send the headers of LFS bodies, then nothing. */
  stall?: boolean;
  /** Ignore Range headers (always 200 with the whole file). */
  ignoreRange?: boolean;
  /** Send no ETag / X-Linked-Etag at all (no digest to verify against). */
  noEtag?: boolean;
  /** Answer every hub request with HTTP 500. */
  status500?: boolean;
  /** Never answer HEAD requests on the hub (the connection stays open). */
  headHang?: boolean;
}

export interface RequestLog {
  method: string;
  url: string;
  range?: string;
  port: number;
}

interface Entry {
  data: Buffer;
  sha256: string;
  gitSha1: string;
  lfs: boolean;
}

export class HubServer {
  readonly requests: RequestLog[] = [];
  private _faults: HubFaults = {};
  private readonly files = new Map<string, Entry>();
  private readonly bySha = new Map<string, Entry>();
  private readonly dropped = new Set<string>();
  private hub!: Server;
  private cdn!: Server;
  private killTimer: NodeJS.Timeout | undefined;
  readonly commit = createHash('sha1').update('plausibility-test-commit').digest('hex');

  constructor(
    readonly repo: string,
    /** Served path -> file on disk. */
    files: Record<string, string>,
    /** Repository names that redirect (307, relative) to `repo`. */
    readonly renamedFrom: string[] = [],
  ) {
    for (const [path, disk] of Object.entries(files)) {
      if (!existsSync(disk)) continue;
      const data = readFileSync(disk);
      const e: Entry = {
        data,
        sha256: createHash('sha256').update(data).digest('hex'),
        gitSha1: createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex'),
        lfs: /\.onnx(_data(_\d+)?)?$/.test(path),
      };
      this.files.set(path, e);
      this.bySha.set(e.sha256, e);
    }
  }

  /** Serves a model folder: every file in it, plus `aliases` (served path -> path inside the folder). */
  static forModel(repo: string, dir: string, aliases: Record<string, string> = {}, renamedFrom: string[] = []): HubServer {
    const files: Record<string, string> = {};
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'surprisal_stats.json', 'onnx/model.onnx'])
      files[f] = join(dir, f);
    for (const [served, local] of Object.entries(aliases)) files[served] = join(dir, local);
    return new HubServer(repo, files, renamedFrom);
  }

  /** The faults to inject from now on (each drop happens once per file after this is set). */
  get faults(): HubFaults {
    return this._faults;
  }

  set faults(f: HubFaults) {
    this._faults = f;
    this.dropped.clear();
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.hub.address() as AddressInfo).port}`;
  }

  private get cdnBase(): string {
    return `http://127.0.0.1:${(this.cdn.address() as AddressInfo).port}`;
  }

  sha256(path: string): string | undefined {
    return this.files.get(path)?.sha256;
  }

  size(path: string): number {
    return this.files.get(path)?.data.length ?? 0;
  }

  async start(lifetimeMs = 120_000): Promise<this> {
    this.hub = createServer((req, res) => this.onHub(req, res));
    this.cdn = createServer((req, res) => this.onCdn(req, res));
    await Promise.all(
      [this.hub, this.cdn].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()))),
    );
    this.killTimer = setTimeout(() => void this.stop(), lifetimeMs);
    this.killTimer.unref();
    return this;
  }

  async stop(): Promise<void> {
    if (this.killTimer) clearTimeout(this.killTimer);
    for (const s of [this.hub, this.cdn]) {
      if (!s?.listening) continue;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  private log(req: IncomingMessage, server: Server): void {
    this.requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      port: (server.address() as AddressInfo).port,
    });
  }

  private notFound(res: ServerResponse, code: string): void {
    res.writeHead(404, { 'X-Error-Code': code, 'Content-Type': 'text/plain' });
    res.end(`${code}\n`);
  }

  private onHub(req: IncomingMessage, res: ServerResponse): void {
    this.log(req, this.hub);
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!m) return this.notFound(res, 'RepoNotFound');
    const [, repo, revEnc, pathEnc] = m;
    if (this.renamedFrom.includes(repo)) {
      res.writeHead(307, { Location: `/${this.repo}/resolve/${revEnc}/${pathEnc}` });
      return void res.end();
    }
    if (repo !== this.repo) return this.notFound(res, 'RepoNotFound');
    if (this.faults.status500) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      return void res.end('Internal Server Error\n');
    }
    if (this.faults.headHang && req.method === 'HEAD') return;
    const rev = decodeURIComponent(revEnc);
    if (rev !== 'main' && rev !== this.commit) return this.notFound(res, 'RevisionNotFound');
    const path = pathEnc.split('/').map(decodeURIComponent).join('/');
    const e = this.files.get(path);
    if (!e) return this.notFound(res, 'EntryNotFound');
    if (e.lfs) {
      const sha = this.faults.wrongSha256 ? createHash('sha256').update('something else').digest('hex') : e.sha256;
      const size = e.data.length - (this.faults.sizeUnderstatedBy ?? 0);
      res.writeHead(302, {
        Location: `${this.cdnBase}/cdn/${e.sha256}?name=${encodeURIComponent(path)}`,
        'X-Repo-Commit': this.commit,
        ...(this.faults.noEtag ? {} : { 'X-Linked-Etag': `"${sha}"`, ETag: `"${sha}"` }),
        'X-Linked-Size': String(size),
        'Content-Length': '0',
      });
      return void res.end();
    }
    const etag = this.faults.wrongGitSha1 ? createHash('sha1').update('x').digest('hex') : e.gitSha1;
    res.writeHead(200, {
      'X-Repo-Commit': this.commit,
      ...(this.faults.noEtag ? {} : { ETag: `W/"${etag}"` }),
      'Content-Length': String(e.data.length),
      'Content-Type': 'application/octet-stream',
    });
    if (req.method === 'HEAD') res.end();
    else res.end(e.data);
  }

  private onCdn(req: IncomingMessage, res: ServerResponse): void {
    this.log(req, this.cdn);
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    const e = m ? this.bySha.get(m[1]) : undefined;
    if (!e) return this.notFound(res, 'EntryNotFound');
    const total = e.data.length;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !this.faults.ignoreRange) {
      start = Number(range[1]);
      if (start >= total) {
        res.writeHead(416, { 'Content-Range': `bytes */${total}` });
        return void res.end();
      }
      res.writeHead(206, {
        'Content-Range': `bytes ${start}-${total - 1}/${total}`,
        'Content-Length': String(total - start),
        ETag: `"${e.sha256}"`,
        'Accept-Ranges': 'bytes',
      });
    } else {
      res.writeHead(200, { 'Content-Length': String(total), ETag: `"${e.sha256}"`, 'Accept-Ranges': 'bytes' });
    }
    if (req.method === 'HEAD') return void res.end();
    const body = e.data.subarray(start);
    const key = e.sha256;
    if (this.faults.stall) return; // headers only; the client's stall timer must fire
    const drop = this.faults.dropAfterBytes !== undefined && !this.dropped.has(key) ? this.faults.dropAfterBytes : undefined;
    if (drop !== undefined) this.dropped.add(key);
    const rate = this.faults.bytesPerSecond;
    if (!rate && drop === undefined) return void res.end(body);
    const chunk = rate ? Math.max(1024, Math.floor(rate / 20)) : 64 * 1024;
    let off = 0;
    const step = () => {
      if (res.destroyed) return;
      if (drop !== undefined && off >= drop) {
        res.socket?.destroy();
        return;
      }
      const end = Math.min(body.length, off + chunk, drop ?? Infinity);
      const ok = res.write(body.subarray(off, end));
      off = end;
      if (off >= body.length) return void res.end();
      if (rate) setTimeout(step, 50);
      else if (ok) setImmediate(step);
      else res.once('drain', step);
    };
    step();
  }
}

/** True when a file's size on disk is `size`. */
export function sizeIs(path: string, size: number): boolean {
  return existsSync(path) && statSync(path).size === size;
}
