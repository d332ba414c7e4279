/**
 * Runs tasks one at a time, in submission order. PGlite is a single connection: two Data API
 * statements interleaving their queries would share one transaction, so every use of the warehouse
 * database (Data API requests, the replication simulator, test reads) goes through one queue.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #pending = 0;

  get pending(): number {
    return this.#pending;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task);
    // The queue continues whether the task failed or not; the caller gets the failure.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => {
      this.#pending--;
    });
  }
}
