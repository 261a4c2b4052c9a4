/**
 * A record that could not even be read: an NDJSON line that is not JSON, a CSV row with the wrong number
 * of cells, an element nested too deep. It keeps its place in the input and is rejected on its own, with
 * this message, like a record that fails validation; the records around it are not affected.
 */
export class UnreadableRecord {
  constructor(readonly message: string) {}
}
