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
import { toDbName } from '../numbers/db-names';

export interface ImportOptions {
  readonly context: TaskContext;
  readonly action: RowAction;
  readonly input: AsyncIterable<string | Buffer>;
  /** Receives the results CSV, a piece at a time. */
  readonly write: (text: string) => Promise<void> | void;
  /** Rows per batch (default 1000, Kazoo's tasks.numbers.db_page_size). */
  readonly batchSize?: number;
  /** Rows gathered per number database before the oldest one's batch starts anyway (default 10 batches' worth). */
  readonly gatherRows?: number;
  /** Batches run at once (default 2); results are still written in the order of the file. */
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
  /** The row's position in the file, the header being row 1. */
  readonly line: number;
  /** The row's place among the rows: results are written in this order. */
  readonly seq: number;
  /** The number it acts on (normalized when it can be), or its e164 cell as given. */
  readonly number: string;
}

interface RunningBatch {
  /** The numbers its rows act on. */
  readonly numbers: ReadonlySet<string>;
  /** Never rejects: a batch that failed as a whole answers each of its rows with the failure. */
  readonly results: Promise<RowResult[]>;
}

interface Answered {
  readonly row: Row;
  readonly result: RowResult;
}

/**
 * Batches run at once: while one is written, the next is read and decided, so the store never waits on knm. More
 * at once only make the store interleave its writes, which cost it more CPU per document: two ran 5–10% faster
 * than four (`npm run bench`, import).
 */
const DEFAULT_CONCURRENCY = 2;

/**
 * Rows gathered per database before a batch starts, in batches' worth: a file that lists its databases in turn
 * (+1212…, +1213…, +1212…) still makes batches of one database, whose `_bulk_docs` of a thousand the store takes
 * 15% faster than five of two hundred (`npm run bench`, import). Past this many rows waiting, the database with
 * the oldest row starts, so no row's result waits on more than a window of rows after it.
 */
const GATHERED_BATCHES = 10;

export class ImportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportInputError';
  }
}

export async function importCsv(options: ImportOptions): Promise<ImportReport> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const window = Math.max(1, options.gatherRows ?? batchSize * GATHERED_BATCHES);
  const rules = options.context.env.rules;
  const failed: FailedRow[] = [];
  let rows = 0;
  let succeeded = 0;
  let headerChecked = false;
  /** Rows not yet in a batch, per number database (the key '' holds the rows that name none), each in file order. */
  const gathered = new Map<string, Row[]>();
  let gatheredRows = 0;
  const running: RunningBatch[] = [];
  /** Results not yet written, by row: they are written once every row before them is. */
  const answered = new Map<number, Answered>();
  // One for the whole file: the providers' settings (read at most every few seconds) and the account databases found.
  const given = options.context;
  const env = { ...given.env, providerContexts: given.env.providerContexts ?? providerContexts({ store: given.env.store, clock: given.env.clock }) };
  const context = { ...given, env, batchMemo: given.batchMemo ?? batchMemo() };

  /** Writes the results that follow on from those written, in file order. */
  const writeAnswered = async (): Promise<void> => {
    const lines: string[] = [];
    for (let next = answered.get(rows); next !== undefined; next = answered.get(rows)) {
      answered.delete(rows);
      rows += 1;
      lines.push(resultLine(next.result));
      if (next.result.error === '') succeeded += 1;
      else failed.push({ line: next.row.line, e164: next.row.cells.e164 ?? '', error: next.result.error });
    }
    if (lines.length === 0) return;
    await options.write(lines.join(''));
    options.progress?.(rows, failed.length);
  };

  /** Waits for a batch to end and writes what can be written. */
  const settleOne = async (): Promise<void> => {
    if (running.length === 0) return;
    await Promise.race(running.map((batch) => batch.results));
    // the batch's own handler, registered first, has run: its results are answered
    await writeAnswered();
  };

  /** Starts a batch: the database holding the oldest row waiting, topped up from the fullest others. */
  const startOldest = async (): Promise<void> => {
    const buckets = [...gathered.entries()];
    if (buckets.length === 0) return;
    const oldest = buckets.reduce((best, bucket) => (bucket[1][0].seq < best[1][0].seq ? bucket : best));
    const others = buckets.filter((bucket) => bucket !== oldest).sort((a, b) => b[1].length - a[1].length);
    const batch: Row[] = [];
    for (const [db, bucket] of [oldest, ...others]) {
      const taken = bucket.splice(0, batchSize - batch.length);
      batch.push(...taken);
      if (bucket.length === 0) gathered.delete(db);
      if (batch.length === batchSize) break;
    }
    await startBatch(batch);
  };

  /** Runs `batch`, once no more than `concurrency` batches are left running. */
  const startBatch = async (batch: Row[]): Promise<void> => {
    gatheredRows -= batch.length;
    const numbers = new Set(batch.map((row) => row.number).filter((number) => number !== ''));
    // A number also in a batch still running: this batch starts once that one is done, so that the rows acting on
    // one number do so in the order of the file, as one batch after the other would.
    const earlier = running.filter((other) => [...numbers].some((number) => other.numbers.has(number))).map((other) => other.results);
    const cells = batch.map((row) => row.cells);
    const results = Promise.all(earlier)
      .then(() => runRows(context, options.action, cells))
      .catch((error: unknown) => cells.map((row) => ({ ...echoRow(row), error: batchFailure(error) })));
    const entry: RunningBatch = { numbers, results };
    running.push(entry);
    void results.then((answers) => {
      answers.forEach((result, at) => answered.set(batch[at].seq, { row: batch[at], result }));
      running.splice(running.indexOf(entry), 1);
    });
    while (running.length >= concurrency) await settleOne();
  };

  /** Puts the row with its database's: a database with a batch's worth starts, and past the window the oldest. */
  const gather = async (row: Row): Promise<void> => {
    const db = row.number === '' ? '' : (toDbName(row.number) ?? '');
    let bucket = gathered.get(db);
    if (bucket === undefined) gathered.set(db, (bucket = []));
    bucket.push(row);
    gatheredRows += 1;
    if (bucket.length >= batchSize) {
      gathered.delete(db);
      await startBatch(bucket);
    } else if (gatheredRows >= window) {
      await startOldest();
    }
  };

  const startAll = async (): Promise<void> => {
    while (gathered.size > 0) await startOldest();
  };

  await options.write(formatCsvRow(RESULT_COLUMNS));
  try {
    let seq = 0;
    for await (const record of readCsvRecords(options.input)) {
      if (!headerChecked) {
        if (!record.header.includes('e164')) throw new ImportInputError(`the CSV header has no e164 column (found: ${record.header.join(', ')})`);
        headerChecked = true;
      }
      const e164 = record.cells.e164 ?? '';
      const number = rules.isReconcilable(e164) ? rules.normalize(e164) : e164;
      await gather({ cells: record.cells, line: record.line, seq, number });
      seq += 1;
    }
    await startAll();
  } catch (error) {
    // a file that turns out bad midway: the rows before the bad one are still run
    if (error instanceof CsvError) await startAll();
    throw error;
  } finally {
    // and every row run gets its result
    while (running.length > 0) await settleOne();
    await writeAnswered();
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
