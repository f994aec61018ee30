// A progress line for long jobs: count, rate, ETA. Redrawn in place on a terminal, one line
// every few seconds otherwise (CI logs).
export class Progress {
  private readonly started = Date.now()
  private lastPrint = 0
  count = 0
  failed = 0
  done = 0

  constructor(
    private readonly total: number,
    private readonly unit: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  /** `amount` finished work units (bytes, say) out of `total`; `items` resources loaded. */
  tick(items: number, amount: number) {
    this.count += items
    this.done += amount
    const now = Date.now()
    if (now - this.lastPrint >= (this.out.isTTY ? 250 : 5000)) {
      this.lastPrint = now
      this.print(false)
    }
  }

  line(): string {
    const seconds = Math.max((Date.now() - this.started) / 1000, 0.001)
    const rate = this.count / seconds
    const fraction = this.total > 0 ? Math.min(this.done / this.total, 1) : 1
    const eta = fraction > 0 && fraction < 1 ? (seconds / fraction) * (1 - fraction) : 0
    return (
      `${this.count.toLocaleString('en-GB')} ${this.unit} · ${Math.round(rate).toLocaleString('en-GB')}/s · ` +
      `${Math.round(fraction * 100)}% · ${fraction < 1 ? `ETA ${formatSeconds(eta)}` : `${formatSeconds(seconds)} elapsed`}` +
      (this.failed ? ` · ${this.failed} failed` : '')
    )
  }

  print(final: boolean) {
    if (this.out.isTTY) this.out.write(`\r\x1b[K${this.line()}${final ? '\n' : ''}`)
    else this.out.write(this.line() + '\n')
  }

  finish() {
    this.done = this.total
    this.print(true)
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`
  const m = Math.floor(s / 60)
  return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`
}
