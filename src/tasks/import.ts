/**
 * `knm import`: a CSV file of number_management rows run in batches (maintenance-and-tasks.md §2), results written
 * as they come to an output CSV with the list columns and `error`. Constant memory whatever the file's size:
 * rows are read, run and written a few batches at a time. A failed row, or a failed batch, never stops the file.
 */
import { batchMemo } from '../lifecycle/batch';
import { providerContexts } from '../providers/context';
import { CsvError, readCsvRecords, formatCsvRow } from './csv';
import { echoRow, QUOTED_COLUMNS, RESULT_COLUMNS } from './columns';
import { RowAction, RowResult, runRows, TaskContext } from './number-tasks';

export interface ImportOptions {
  readonly context: TaskContext;
  readonly action: RowAction;
  readonly input: AsyncIterable<string | Buffer>;
  /** Receives the results CSV, a piece at a time. */
  readonly write: (text: string) => Promise<void> | void;
  /** Rows per batch (default 1000, Kazoo's tasks.numbers.db_page_size). */
  readonly batchSize?: number;
  /** Batches run at once (default 4); results are still written in the order of the file. */
  readonly concurrency?: number;
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

interface RunningBatch {
  readonly rows: Row[];
  /** The numbers its rows act on (normalized when they can be). */
  readonly numbers: ReadonlySet<string>;
  /** Never rejects: a batch that failed as a whole answers each of its rows with the failure. */
  readonly results: Promise<RowResult[]>;
}

/**
 * Batches run at once: while some are written, the next ones are read and decided. Each batch waits on several
 * round trips to the store (numbers, port requests, accounts, then the writes), during which the store would
 * otherwise sit idle.
 */
const DEFAULT_CONCURRENCY = 4;

export class ImportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportInputError';
  }
}

export async function importCsv(options: ImportOptions): Promise<ImportReport> {
  const batchSize = options.batchSize ?? 1000;
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const rules = options.context.env.rules;
  const numberOf = (cells: Record<string, string>): string => {
    const e164 = cells.e164 ?? '';
    return rules.isReconcilable(e164) ? rules.normalize(e164) : e164;
  };
  const failed: FailedRow[] = [];
  let rows = 0;
  let succeeded = 0;
  let batch: Row[] = [];
  let headerChecked = false;
  const running: RunningBatch[] = [];
  // One for the whole file: the providers' settings (read at most every few seconds) and the account databases found.
  const given = options.context;
  const env = { ...given.env, providerContexts: given.env.providerContexts ?? providerContexts({ store: given.env.store, clock: given.env.clock }) };
  const context = { ...given, env, batchMemo: given.batchMemo ?? batchMemo() };

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

  const start = (rowsOfBatch: Row[]): void => {
    const numbers = new Set(rowsOfBatch.map((row) => numberOf(row.cells)).filter((number) => number !== ''));
    // A number also in a batch still running: this batch starts once that one is done, so that the rows acting on
    // one number do so in the order of the file, as one batch after the other would.
    const earlier = running.filter((other) => [...numbers].some((number) => other.numbers.has(number))).map((other) => other.results);
    const cells = rowsOfBatch.map((entry) => entry.cells);
    const results = Promise.all(earlier)
      .then(() => runRows(context, options.action, cells))
      .catch((error: unknown) => cells.map((row) => ({ ...echoRow(row), error: batchFailure(error) })));
    running.push({ rows: rowsOfBatch, numbers, results });
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    start(batch);
    batch = [];
    if (running.length >= concurrency) await settleOldest();
  };

  await options.write(formatCsvRow(RESULT_COLUMNS));
  try {
    for await (const record of readCsvRecords(options.input)) {
      if (!headerChecked) {
        if (!record.header.includes('e164')) throw new ImportInputError(`the CSV header has no e164 column (found: ${record.header.join(', ')})`);
        headerChecked = true;
      }
      batch.push({ cells: record.cells, line: record.line });
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (error) {
    // a file that turns out bad midway: the rows before the bad one are still run
    if (error instanceof CsvError) await flush();
    throw error;
  } finally {
    // and every row run gets its result
    while (running.length > 0) await settleOldest();
  }
  return { action: options.action, rows, succeeded, failed };
}

/** A batch that failed as a whole (the store unreachable, say): its rows are answered with why, and the file goes on. */
function batchFailure(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const QUOTED_RESULT_COLUMNS: readonly boolean[] = RESULT_COLUMNS.map((column) => QUOTED_COLUMNS.has(column));
const quotedResultColumn = (column: number): boolean => QUOTED_RESULT_COLUMNS[column];

function resultLine(result: RowResult): string {
  return formatCsvRow(RESULT_COLUMNS.map((column) => result[column]), quotedResultColumn);
}
