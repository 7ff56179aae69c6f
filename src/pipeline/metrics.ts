/**
 * The pipeline's figures, kept in memory and rendered in Prometheus text format (version 0.0.4) for the
 * HTTP endpoint. Hand-written: a handful of counters, gauges and one histogram do not need a library.
 */

type Labels = Readonly<Record<string, string>>;

interface Series {
  labels: Labels;
  value: number;
}

interface HistogramSeries {
  labels: Labels;
  buckets: number[];
  sum: number;
  count: number;
}

/** Carrier calls take from milliseconds (local carriers) to tens of seconds (HTTP carriers that time out). */
const LATENCY_BUCKETS_S = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class PipelineMetrics {
  private readonly counters = new Map<string, Map<string, Series>>();
  private readonly gauges = new Map<string, Map<string, Series>>();
  private readonly histograms = new Map<string, Map<string, HistogramSeries>>();

  /** Changes read from a feed and decided on (skipped ones included). */
  changeProcessed(count = 1): void {
    this.add('knm_pipeline_changes_processed_total', {}, count);
  }

  /** One reaction carried out: acquire, acquire_refused, release, purge_discovery, age, notice, account_copy, design_docs. */
  reaction(kind: string): void {
    this.add('knm_pipeline_reactions_total', { kind }, 1);
  }

  /** A failure: store, carrier, provider, conflict_exhausted, … */
  error(kind: string): void {
    this.add('knm_pipeline_errors_total', { kind }, 1);
  }

  /** A write refused with 409: the number was read again and decided again. */
  conflict(): void {
    this.add('knm_pipeline_conflicts_total', {}, 1);
  }

  /** A document that could not be read as a number (logged with db, id and reason). */
  skipped(reason: string): void {
    this.add('knm_pipeline_skipped_documents_total', { reason }, 1);
  }

  /** Changes of `db` not processed yet, as far as the server tells (`pending`) plus the batch in hand. */
  lagChanges(db: string, changes: number): void {
    this.set('knm_pipeline_lag_changes', { db }, changes);
  }

  /** Seconds since the oldest change of `db` knm knows of and has not finished (0 when caught up). */
  lagSeconds(db: string, seconds: number): void {
    this.set('knm_pipeline_lag_seconds', { db }, seconds);
  }

  forgetDb(db: string): void {
    for (const name of ['knm_pipeline_lag_changes', 'knm_pipeline_lag_seconds']) this.gauges.get(name)?.delete(key({ db }));
  }

  followedDbs(count: number): void {
    this.set('knm_pipeline_followed_databases', {}, count);
  }

  carrierCall(operation: 'acquire' | 'disconnect', module: string, seconds: number): void {
    const labels = { operation, module };
    const family = this.histograms.get('knm_pipeline_carrier_call_seconds') ?? new Map<string, HistogramSeries>();
    this.histograms.set('knm_pipeline_carrier_call_seconds', family);
    const series = family.get(key(labels)) ?? { labels, buckets: LATENCY_BUCKETS_S.map(() => 0), sum: 0, count: 0 };
    family.set(key(labels), series);
    LATENCY_BUCKETS_S.forEach((bound, index) => {
      if (seconds <= bound) series.buckets[index] += 1;
    });
    series.sum += seconds;
    series.count += 1;
  }

  /** The value of one counter or gauge series (tests and the bench read them). */
  value(name: string, labels: Labels = {}): number {
    return this.counters.get(name)?.get(key(labels))?.value ?? this.gauges.get(name)?.get(key(labels))?.value ?? 0;
  }

  /** Sum of a counter over all its label values. */
  total(name: string): number {
    let sum = 0;
    for (const series of this.counters.get(name)?.values() ?? []) sum += series.value;
    return sum;
  }

  render(): string {
    const lines: string[] = [];
    const help: Readonly<Record<string, string>> = {
      knm_pipeline_changes_processed_total: 'Changes read from number database feeds and decided on.',
      knm_pipeline_reactions_total: 'Reactions carried out, by kind.',
      knm_pipeline_errors_total: 'Failures, by kind.',
      knm_pipeline_skipped_documents_total: 'Documents that could not be read as numbers, by reason.',
      knm_pipeline_conflicts_total: 'Writes refused with 409 conflict, then read and decided again.',
      knm_pipeline_lag_changes: 'Changes of a database not processed yet.',
      knm_pipeline_lag_seconds: 'Seconds since the oldest unprocessed change of a database was announced.',
      knm_pipeline_followed_databases: 'Number databases followed.',
      knm_pipeline_carrier_call_seconds: 'Carrier call latency.',
    };
    const counterNames = ['knm_pipeline_changes_processed_total', 'knm_pipeline_reactions_total', 'knm_pipeline_errors_total', 'knm_pipeline_skipped_documents_total', 'knm_pipeline_conflicts_total'];
    for (const name of counterNames) {
      lines.push(`# HELP ${name} ${help[name]}`, `# TYPE ${name} counter`);
      const family = this.counters.get(name);
      if (family === undefined || family.size === 0) {
        if (name === 'knm_pipeline_changes_processed_total') lines.push(`${name} 0`);
        continue;
      }
      for (const series of family.values()) lines.push(`${name}${labelText(series.labels)} ${series.value}`);
    }
    for (const name of ['knm_pipeline_lag_changes', 'knm_pipeline_lag_seconds', 'knm_pipeline_followed_databases']) {
      lines.push(`# HELP ${name} ${help[name]}`, `# TYPE ${name} gauge`);
      for (const series of this.gauges.get(name)?.values() ?? []) lines.push(`${name}${labelText(series.labels)} ${series.value}`);
    }
    const histogram = 'knm_pipeline_carrier_call_seconds';
    lines.push(`# HELP ${histogram} ${help[histogram]}`, `# TYPE ${histogram} histogram`);
    for (const series of this.histograms.get(histogram)?.values() ?? []) {
      LATENCY_BUCKETS_S.forEach((bound, index) => lines.push(`${histogram}_bucket${labelText({ ...series.labels, le: String(bound) })} ${series.buckets[index]}`));
      lines.push(`${histogram}_bucket${labelText({ ...series.labels, le: '+Inf' })} ${series.count}`);
      lines.push(`${histogram}_sum${labelText(series.labels)} ${series.sum}`, `${histogram}_count${labelText(series.labels)} ${series.count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private add(name: string, labels: Labels, amount: number): void {
    const family = this.counters.get(name) ?? new Map<string, Series>();
    this.counters.set(name, family);
    const series = family.get(key(labels)) ?? { labels, value: 0 };
    series.value += amount;
    family.set(key(labels), series);
  }

  private set(name: string, labels: Labels, value: number): void {
    const family = this.gauges.get(name) ?? new Map<string, Series>();
    this.gauges.set(name, family);
    family.set(key(labels), { labels, value });
  }
}

function key(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escaped = entries.map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return `{${escaped.join(',')}}`;
}
