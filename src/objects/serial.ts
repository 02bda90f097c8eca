/**
 * Runs async commands one at a time. A Durable Object's input gate does not hold a second request
 * out while the first awaits D1 or another object, so every command goes through this queue.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(command: () => Promise<T>): Promise<T> {
    const result = this.tail.then(command, command)
    this.tail = result.catch(() => undefined)
    return result
  }
}
