/**
 * `knm import`: a CSV file of number_management rows run in batches (maintenance-and-tasks.md §2), results written
 * as they come to an output CSV with the list columns and `error`. Constant memory whatever the file's size:
 * rows are read, run and written a batch at a time.
 */
import { readCsvRecords, formatCsvRow } from './csv';
import { QUOTED_COLUMNS, RESULT_COLUMNS } from './columns';
import { RowAction, RowResult, runRows, TaskContext } from './number-tasks';

export interface ImportOptions {
  readonly context: TaskContext;
  readonly action: RowAction;
  readonly input: AsyncIterable<string | Buffer>;
  /** Receives the results CSV, a piece at a time. */
  readonly write: (text: string) => Promise<void> | void;
  /** Rows per batch (default 1000, Kazoo's tasks.numbers.db_page_size). */
  readonly batchSize?: number;
  /** Rows done so far, after each batch. */
  readonly progress?: (done: number, failed: number) => void;
}

export interface FailedRow {
  /** The row's position in the file, the header being row 1 (a quoted cell may span lines). */
  readonly line: number;
  readonly e164: string;
  readonly error: string;
}

export interface ImportReport {
  readonly action: RowAction;
  readonly rows: number;
  readonly succeeded: number;
  readonly failed: FailedRow[];
}

interface Row {
  readonly cells: Record<string, string>;
  readonly line: number;
}

const IN_FLIGHT = 2;

export class ImportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportInputError';
  }
}

export async function importCsv(options: ImportOptions): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 1000;
  const failed: FailedRow[] = [];
  let rows = 0;
  let succeeded = 0;
  let batch: Row[] = [];
  let headerChecked = false;
  // Two batches in flight: the next is read and decided while the previous one is written. A number in both is
  // safe: the later write meets a conflict and is decided again (batch.ts).
  const running: { rows: Row[]; results: Promise<RowResult[]> }[] = [];

  const settleOldest = async (): Promise<void> => {
    const oldest = running.shift();
    if (oldest === undefined) return;
    const results = await oldest.results;
    await options.write(results.map(resultLine).join(''));
    results.forEach((result, at) => {
      if (result.error === '') succeeded += 1;
      else failed.push({ line: oldest.rows[at].line, e164: oldest.rows[at].cells.e164 ?? '', error: result.error });
    });
    rows += oldest.rows.length;
    options.progress?.(rows, failed.length);
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const rowsOfBatch = batch;
    batch = [];
    const results = runRows(options.context, options.action, rowsOfBatch.map((entry) => entry.cells));
    results.catch(() => undefined); // awaited in settleOldest; a failure must not go unhandled meanwhile
    running.push({ rows: rowsOfBatch, results });
    if (running.length >= IN_FLIGHT) await settleOldest();
  };

  await options.write(formatCsvRow(RESULT_COLUMNS));
  for await (const record of readCsvRecords(options.input)) {
    if (!headerChecked) {
      if (!record.header.includes('e164')) throw new ImportInputError(`the CSV header has no e164 column (found: ${record.header.join(', ')})`);
      headerChecked = true;
    }
    batch.push({ cells: record.cells, line: record.line });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  while (running.length > 0) await settleOldest();
  return { action: options.action, rows, succeeded, failed };
}

function resultLine(result: RowResult): string {
  return formatCsvRow(RESULT_COLUMNS.map((column) => result[column]), (column) => QUOTED_COLUMNS.has(RESULT_COLUMNS[column]));
}
