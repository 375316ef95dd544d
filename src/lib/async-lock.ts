// A FIFO mutex for async code. SQLite allows one writer per connection, and an async
// transaction body must not interleave with another on the same connection.
export class AsyncLock {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
