/** A bad image: the message names the file (and what in it is wrong), never a stack trace. */
export class LoaderError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'LoaderError';
  }
}
