import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { PrintError } from '../errors.ts';

/** Bytes read at a time when looking for the end of an object or through the cross-reference table. */
const STEP = 64 * 1024;

/**
 * A finished PDF on disk, read as the files this engine makes are written: one classic cross-reference
 * table (PdfWriter's, and Ghostscript's pdfwrite), no object or cross-reference streams, no incremental
 * updates. Only offsets are held (8 bytes per object), so a 300,000-card file of three million objects
 * costs about 24 MB; objects are read from the disk when asked for.
 */
export class PdfFile {
  private readonly fd: number;
  /** The size of the file in bytes. */
  readonly size: number;
  /** Where the cross-reference table starts: the end of the last object. */
  readonly xrefAt: number;
  /** The byte offset of each object by number; -1 for a free entry. */
  readonly offsets: Float64Array;
  /** The trailer dictionary's text. */
  readonly trailer: string;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      const tail = this.read(Math.max(0, this.size - 1024), Math.min(1024, this.size)).toString('latin1');
      const at = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
      if (!at) throw unreadable('no startxref at its end');
      this.xrefAt = Number(at[1]);
      const { offsets, trailer } = this.readXref();
      this.offsets = offsets;
      this.trailer = trailer;
      if (/\/Prev\b|\/Encrypt\b|\/XRefStm\b/.test(trailer)) throw unreadable('an incremental update or an encrypted file');
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  /** The object number a trailer entry names: `/Root 1 0 R` → 1. */
  trailerRef(key: string): number | undefined {
    const m = new RegExp(`/${key}\\s+(\\d+)\\s+\\d+\\s+R`).exec(this.trailer);
    return m ? Number(m[1]) : undefined;
  }

  /** The text of object `n`, from `n 0 obj` to its `endobj` (for dictionaries: never called for streams). */
  objectText(n: number): string {
    const at = this.offsets[n];
    if (at === undefined || at < 0) throw unreadable(`object ${n} is not in the cross-reference table`);
    let text = '';
    for (let pos = at; pos < this.xrefAt; pos += STEP) {
      // Only the new piece is searched (with the few bytes before it): a page tree node can be megabytes.
      const from = Math.max(0, text.length - 'endobj'.length);
      text += this.read(pos, Math.min(STEP, this.xrefAt - pos)).toString('latin1');
      const end = text.indexOf('endobj', from);
      if (end >= 0) return text.slice(0, end + 'endobj'.length);
    }
    throw unreadable(`object ${n} has no endobj`);
  }

  /** `length` bytes from `position`. */
  read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** The table's entries (20 bytes each, PDF 32000-1, 7.5.4) read in steps, and the trailer after them. */
  private readXref(): { offsets: Float64Array; trailer: string } {
    let pos = this.xrefAt;
    let carry = '';
    let offsets = new Float64Array(0);
    let next = -1;
    let left = 0;
    let started = false;
    for (;;) {
      if (pos >= this.size) throw unreadable('the cross-reference table has no trailer');
      const piece = carry + this.read(pos, Math.min(STEP, this.size - pos)).toString('latin1');
      pos += STEP;
      const lines = piece.split(/\r\n|\r|\n/);
      carry = lines.pop() ?? '';
      for (let i = 0; i < lines.length; i++) {
        const line = (lines[i] as string).trim();
        if (!started) {
          if (line !== 'xref') throw unreadable('no classic cross-reference table (a cross-reference stream?)');
          started = true;
        } else if (left > 0) {
          const entry = /^(\d{10}) (\d{5}) ([nf])$/.exec(line);
          if (!entry) throw unreadable(`a cross-reference entry reads "${line.slice(0, 30)}"`);
          offsets[next] = entry[3] === 'n' ? Number(entry[1]) : -1;
          next++;
          left--;
        } else if (line.startsWith('trailer')) {
          const rest = [line.slice('trailer'.length), ...lines.slice(i + 1), carry].join('\n');
          return { offsets, trailer: rest + this.read(pos, Math.min(4096, Math.max(0, this.size - pos))).toString('latin1') };
        } else {
          const section = /^(\d+) (\d+)$/.exec(line);
          if (!section) throw unreadable(`the cross-reference table reads "${line.slice(0, 30)}"`);
          next = Number(section[1]);
          left = Number(section[2]);
          if (next + left > offsets.length) {
            const grown = new Float64Array(next + left).fill(-1);
            grown.set(offsets);
            offsets = grown;
          }
        }
      }
    }
  }
}

function unreadable(why: string): PrintError {
  return new PrintError('RENDER', `the PDF cannot be read for PDF/VT: ${why}`);
}
