/** Output sink for the CLI: stdout for results, stderr for messages. Replaceable in tests. */
export class Out {
  constructor(
    private readonly stdout: (s: string) => void = (s) => void process.stdout.write(s),
    private readonly stderr: (s: string) => void = (s) => void process.stderr.write(s),
  ) {}
  /** A line of normal output (stdout). */
  line(s: string): void {
    this.stdout(s + '\n');
  }
  /** Raw stdout text. */
  raw(s: string): void {
    this.stdout(s);
  }
  /** A JSON document on stdout. */
  json(v: unknown): void {
    this.stdout(JSON.stringify(v, null, 2) + '\n');
  }
  /** A warning on stderr. */
  warn(s: string): void {
    this.stderr(`plausibility: warning: ${s}\n`);
  }
  /** An error on stderr. */
  error(s: string): void {
    this.stderr(`plausibility: error: ${s}\n`);
  }
  /** An informational message on stderr. */
  info(s: string): void {
    this.stderr(`plausibility: ${s}\n`);
  }
  /** Raw stderr text. */
  errRaw(s: string): void {
    this.stderr(s);
  }
}
