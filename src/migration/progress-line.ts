// How an import's progress is shown: a bar redrawn in place on a terminal, plain lines (at most
// one every few seconds, and one per folder) otherwise, so logs and pipes stay readable.
import type { ImportProgress } from './importer.ts';

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Time left from the bytes (or messages, when sizes are unknown) done since `startedAt`. */
export function eta(p: ImportProgress, elapsedSeconds: number): number {
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : p.messagesTotal > 0 ? p.messagesDone / p.messagesTotal : 0;
  if (fraction <= 0 || elapsedSeconds <= 0) return Infinity;
  return (elapsedSeconds * (1 - fraction)) / fraction;
}

export function progressText(label: string, p: ImportProgress, elapsedSeconds: number, width = 24): { bar: string; line: string } {
  const fraction = p.messagesTotal > 0 ? Math.min(1, p.messagesDone / p.messagesTotal) : 1;
  const filled = Math.round(fraction * width);
  const counts = `${p.messagesDone}/${p.messagesTotal} messages, ${mb(p.bytesDone)}/${mb(p.bytesTotal)}`;
  const left = `ETA ${duration(eta(p, elapsedSeconds))}`;
  return {
    bar: `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${counts} ${left} ${label} ${p.folder}`,
    line: `${label}: ${Math.floor(fraction * 100)}% ${counts}, ${p.itemsTransferred} imported, ${left}, folder ${p.folder}`,
  };
}

/** Writes progress to a stream: a bar on a terminal, a line every `everyMs` (and per folder) otherwise. */
export class ProgressPrinter {
  private lastLine = 0;
  private lastFolder = '';
  private started = Date.now();
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream | { write(text: string): unknown; isTTY?: boolean }, private readonly everyMs = 5000) {}

  begin(): void {
    this.started = Date.now();
    this.lastFolder = '';
  }

  update(label: string, p: ImportProgress): void {
    const elapsed = (Date.now() - this.started) / 1000;
    const text = progressText(label, p, elapsed);
    if (this.out.isTTY) {
      const columns = (this.out as NodeJS.WriteStream).columns ?? 120;
      this.out.write(`\r${text.bar.slice(0, columns - 1).padEnd(columns - 1)}`);
      this.drawn = true;
      return;
    }
    const now = Date.now();
    if (p.folder !== this.lastFolder || now - this.lastLine >= this.everyMs) {
      this.lastFolder = p.folder;
      this.lastLine = now;
      this.out.write(`${text.line}\n`);
    }
  }

  /** Ends the bar's line before other output. */
  done(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
