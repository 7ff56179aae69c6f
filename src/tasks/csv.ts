/**
 * CSV as RFC 4180 has it, which is what Kazoo's tasks read and write (kz_csv): fields separated by commas, records
 * by CRLF or LF, a field in double quotes may hold commas, line breaks and doubled quotes. Reading streams: rows
 * come out as the text arrives, so a file of any size is read in constant memory.
 */

/** Splits CSV text into rows, chunk by chunk; `end()` flushes the last row. */
export class CsvParser {
  private field = '';
  private row: string[] = [];
  private quoted = false;
  /** Inside quotes, a `"` was seen: it is either the closing quote or the first half of `""`. */
  private quoteSeen = false;
  /** The current field began with a quote (so its content is taken verbatim). */
  private fieldStarted = false;
  private pendingCr = false;
  lines = 1;

  push(chunk: string): string[][] {
    const rows: string[][] = [];
    for (let index = 0; index < chunk.length; index += 1) {
      const character = chunk[index];
      if (this.pendingCr) {
        this.pendingCr = false;
        if (character === '\n') continue;
      }
      if (this.quoted) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (character === '"') {
            this.field += '"';
            continue;
          }
          this.quoted = false;
        } else if (character === '"') {
          this.quoteSeen = true;
          continue;
        } else {
          if (character === '\n') this.lines += 1;
          this.field += character;
          continue;
        }
      }
      if (character === '"' && !this.fieldStarted && this.field === '') {
        this.quoted = true;
        this.fieldStarted = true;
      } else if (character === ',') {
        this.endField();
      } else if (character === '\n' || character === '\r') {
        this.lines += 1;
        this.pendingCr = character === '\r';
        const row = this.endRow();
        if (row !== undefined) rows.push(row);
      } else {
        this.field += character;
      }
    }
    return rows;
  }

  end(): string[][] {
    if (this.quoted && !this.quoteSeen) throw new CsvError(`unterminated quoted field at line ${this.lines}`);
    const row = this.endRow();
    return row === undefined ? [] : [row];
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = '';
    this.quoted = false;
    this.quoteSeen = false;
    this.fieldStarted = false;
  }

  /** A blank line is no row. */
  private endRow(): string[] | undefined {
    const blank = this.row.length === 0 && this.field === '' && !this.fieldStarted;
    this.endField();
    const row = this.row;
    this.row = [];
    return blank ? undefined : row;
  }
}

export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

/** Rows of a stream of text chunks (a file read with an encoding). */
export async function* readCsv(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string[]> {
  const parser = new CsvParser();
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* parser.push(text);
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}

/** Rows of a whole text. */
export function parseCsv(text: string): string[][] {
  const parser = new CsvParser();
  return [...parser.push(text), ...parser.end()];
}

/** Records with named columns: the first row is the header. */
export async function* readCsvRecords(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<{ header: readonly string[]; cells: Record<string, string>; line: number }> {
  let header: string[] | undefined;
  let line = 0;
  for await (const row of readCsv(chunks)) {
    line += 1;
    if (header === undefined) {
      header = row.map((name) => name.trim());
      continue;
    }
    const cells: Record<string, string> = {};
    header.forEach((name, at) => {
      cells[name] = row[at] ?? '';
    });
    yield { header, cells, line };
  }
}

/** One CSV record, CRLF-terminated; a field is quoted when it must be, or always when `quoted` says so. */
export function formatCsvRow(fields: readonly string[], quoted: (column: number) => boolean = () => false): string {
  // joined, not concatenated: `line += cell` copies the line so far at each cell, a kilobyte and more of garbage
  // for each of an import's result lines
  const cells = new Array<string>(fields.length);
  for (let column = 0; column < fields.length; column += 1) {
    const field = fields[column];
    cells[column] = quoted(column) || (field !== '' && NEEDS_QUOTES.test(field)) ? `"${field.includes('"') ? field.replace(/"/g, '""') : field}"` : field;
  }
  return `${cells.join(',')}\r\n`;
}

const NEEDS_QUOTES = /[",\r\n]/;
