/**
 * An object's clock: the runtime's time, which the tests move forward (`advanceClock`, only with
 * TEST_CLOCK=1) instead of rewriting the timestamp columns the code owns. Every time a job's
 * object reads — its transitions, its alarms, a runner's touch — comes from here.
 */
export class ObjectClock {
  #offsetMs = 0

  now(): number {
    return Date.now() + this.#offsetMs
  }

  advance(ms: number): void {
    this.#offsetMs += ms
  }
}
