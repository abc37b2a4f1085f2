/**
 * An AsyncIterable whose items are produced in arrays (a CSV chunk's worth of rows at a time).
 *
 * Iterated item by item it is an ordinary AsyncIterable, which is all the adapter contract promises. A
 * consumer that knows this class (grouping of whole files) takes the arrays instead: one async hop per array
 * rather than per item, which at a million rows is seconds of promise turns and garbage.
 */
export class BatchedIterable<T> implements AsyncIterable<T> {
  /** `batches` is called once per iteration, like `[Symbol.asyncIterator]`; its arrays may be empty. */
  constructor(readonly batches: () => AsyncIterable<T[]>) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for await (const batch of this.batches()) for (const item of batch) yield item;
  }
}
