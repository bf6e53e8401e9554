/**
 * Follows the SystemModstamps of records read in order (ORDER BY SystemModstamp) to say how far the
 * watermark may move: only up to the last stamp whose whole group of records has been read. Records that
 * share a stamp can be split across pages and batches; a watermark inside such a group, with the next
 * query's `SystemModstamp > watermark`, would lose the rest of it.
 */
export class StampGroups {
  readonly #ordered: boolean;
  #last: string | undefined;
  #complete: string | undefined;
  #max: string | undefined;
  #outOfOrder = false;

  /** `ordered`: the records come sorted by stamp (REST with ORDER BY; not Bulk API 2.0). */
  constructor(ordered: boolean) {
    this.#ordered = ordered;
  }

  /** Notes one record's stamp (ISO 8601, UTC). */
  see(stamp: string): void {
    if (this.#max === undefined || stamp > this.#max) this.#max = stamp;
    if (this.#last !== undefined && stamp < this.#last) this.#outOfOrder = true;
    if (this.#last !== undefined && stamp > this.#last) this.#complete = this.#last;
    this.#last = stamp;
  }

  /** The latest stamp all of whose records have been read, while reading; none when order is not known. */
  get complete(): string | undefined {
    return this.#ordered && !this.#outOfOrder ? this.#complete : undefined;
  }

  /** Once every record is read: the latest stamp (every group is complete). */
  get end(): string | undefined {
    return this.#max;
  }
}
