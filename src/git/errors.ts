/**
 * A protocol or data error the client should see as a git error (an `ERR` packet, a band-3
 * message or an `unpack <reason>` line), never as an HTTP 500.
 */
export class GitError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GitError'
  }
}
