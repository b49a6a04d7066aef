/** A position in a config file; line and column count from 1. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface Diagnostic extends Position {
  readonly file: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** Length of the offending text (for editors); 1 when unknown. */
  readonly length: number;
}

/** `file:line:col: error: message`, the form compilers use and editors link. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics for one file. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  constructor(readonly file: string) {}
  error(at: Position, message: string, length = 1): void {
    this.list.push({ file: this.file, line: at.line, col: at.col, severity: 'error', message, length });
  }
  warning(at: Position, message: string, length = 1): void {
    this.list.push({ file: this.file, line: at.line, col: at.col, severity: 'warning', message, length });
  }
  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
}
