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
  let batch: { cells: Record<string, string>; line: number }[] = [];
  let headerChecked = false;

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const results = await runRows(options.context, options.action, batch.map((entry) => entry.cells));
    await options.write(results.map(resultLine).join(''));
    results.forEach((result, at) => {
      if (result.error === '') succeeded += 1;
      else failed.push({ line: batch[at].line, e164: batch[at].cells.e164 ?? '', error: result.error });
    });
    rows += batch.length;
    batch = [];
    options.progress?.(rows, failed.length);
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
  return { action: options.action, rows, succeeded, failed };
}

function resultLine(result: RowResult): string {
  return formatCsvRow(RESULT_COLUMNS.map((column) => result[column]), (column) => QUOTED_COLUMNS.has(RESULT_COLUMNS[column]));
}
