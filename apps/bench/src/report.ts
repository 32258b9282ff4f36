import { median, pairedRatioSpread } from './stats.js';
/**
 * A target on a ratio: `<=` for costs (time), `>=` for rates (throughput). With `absolute`, it
 * bounds a measured value of the subject instead (a target in its own unit, such as
 * "p99 ≤ 5 ms"), and the ratio is for context.
 */
export interface Target {
  readonly op: '<=' | '>=';
  readonly value: number;
  readonly absolute?: {
    /** The value compared with `value`, in the same unit. */
    readonly measured: number;
    /** The target as shown, e.g. `p99 ≤ 5 ms`. */
    readonly label: string;
  };
}

/** One line of the results: a subject compared with its baseline, measured in the same run. */
export interface ResultRow {
  readonly scenario: string;
  readonly subject: string;
  readonly subjectValue: string;
  readonly baseline: string;
  readonly baselineValue: string;
  readonly ratio: number;
  /** Interquartile range of the per-round ratios, when rounds are paired. */
  readonly spread?: { readonly p25: number; readonly p75: number };
  /** Absent for peers reported for context. */
  readonly target?: Target;
}

/** What a scenario hands back: its rows and how it was measured. */
export interface ScenarioResult {
  readonly title: string;
  readonly rows: readonly ResultRow[];
  readonly method: string;
  readonly notes?: readonly string[];
}

/** `PASS`, `FAIL`, or `info` for a row without a target. */
export function verdict(row: ResultRow): 'PASS' | 'FAIL' | 'info' {
  if (!row.target) return 'info';
  const measured = row.target.absolute?.measured ?? row.ratio;
  const ok = row.target.op === '<=' ? measured <= row.target.value : measured >= row.target.value;
  return ok ? 'PASS' : 'FAIL';
}

/** Two decimals; three when two would round onto the target and hide which side it is on. */
export function formatRatio(ratio: number, target?: Target): string {
  const short = ratio.toFixed(2);
  const onTarget = target !== undefined && target.absolute === undefined && short === target.value.toFixed(2);
  return `${onTarget ? ratio.toFixed(3) : short}×`;
}

export function formatTarget(target: Target | undefined): string {
  if (target?.absolute) return target.absolute.label;
  return target ? `${target.op === '<=' ? '≤' : '≥'} ${target.value}×` : '—';
}

export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')} ops/s`;
}

const HEADERS = ['#', 'Subject', 'Measured', 'Baseline', 'Measured', 'Ratio', 'Target', 'Result'] as const;

function cells(row: ResultRow): string[] {
  const spread = row.spread ? ` (${row.spread.p25.toFixed(2)}–${row.spread.p75.toFixed(2)})` : '';
  return [
    row.scenario,
    row.subject,
    row.subjectValue,
    row.baseline,
    row.baselineValue,
    formatRatio(row.ratio, row.target) + spread,
    formatTarget(row.target),
    verdict(row),
  ];
}

/** A plain-text table for stdout. */
export function textTable(rows: readonly ResultRow[]): string {
  const body = rows.map(cells);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The same table in Markdown. */
export function markdownTable(rows: readonly ResultRow[]): string {
  return markdownOf(HEADERS, rows.map(cells));
}

/** A Markdown table of `headers` over `body`, with `|` in cells escaped. */
export function markdownOf(headers: readonly string[], body: readonly (readonly string[])[]): string {
  const escape = (c: string): string => c.replaceAll('|', '\\|');
  return [
    `| ${headers.join(' | ')} |`,
    `|${headers.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n');
}

/**
 * A row comparing the medians of a subject's and a baseline's samples (measured in the same run),
 * with the spread of the per-round ratios.
 */
export function ratioRow(
  scenario: string,
  samples: Map<string, number[]>,
  subject: string,
  baseline: string,
  target: ResultRow['target'],
  format: (value: number) => string = formatNs,
): ResultRow {
  const s = samples.get(subject) ?? [];
  const b = samples.get(baseline) ?? [];
  return {
    scenario,
    subject,
    subjectValue: format(median(s)),
    baseline,
    baselineValue: format(median(b)),
    ratio: median(s) / median(b),
    spread: pairedRatioSpread(s, b),
    ...(target ? { target } : {}),
  };
}
