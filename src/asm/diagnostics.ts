/** Where a line of assembly came from: the file and 1-based line a user can open. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface Diagnostic extends SourceLocation {
  severity: 'error' | 'warning';
  /** 1-based column */
  col: number;
  message: string;
}

/** `file:line:col: error: message`, the form compilers and VS Code problem matchers read. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** Collects every error and warning of a run; the assembler keeps going after each one. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  report(severity: Diagnostic['severity'], at: SourceLocation, col: number, message: string): void {
    // Multi-pass assembly meets the same problem on every pass: report it once.
    const key = `${severity}\0${at.file}\0${at.line}\0${col}\0${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ severity, file: at.file, line: at.line, col, message });
  }
  error(at: SourceLocation, col: number, message: string): void {
    this.report('error', at, col, message);
  }
  warning(at: SourceLocation, col: number, message: string): void {
    this.report('warning', at, col, message);
  }
  get errorCount(): number {
    return this.list.filter((d) => d.severity === 'error').length;
  }
}
