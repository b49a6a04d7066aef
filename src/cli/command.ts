/** What every CLI subcommand gets: its arguments and the process streams, injectable for tests. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

/** A subcommand returns the process exit status. */
export type Command = (args: string[], io: CliIO) => Promise<number>;

/** Thrown for bad command-line usage; main prints it with the usage line and exits 2. */
export class UsageError extends Error {}
