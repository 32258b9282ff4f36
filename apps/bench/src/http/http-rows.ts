/**
 * The rows and notes of scenario 11: what each subject costs next to the reference (server CPU
 * time per request, p99 latency), and its requests per second next to the bare route and to
 * `@nestjs/cache-manager`'s `CacheInterceptor`, for information.
 */
import type { ResultRow, Target } from '../report.js';
import { median, pairedRatioSpread } from '../stats.js';
import type { HttpStackKind, HttpSubject } from './http-subjects.js';

/** What one adapter's rounds measured: per subject name, one sample per round. */
export interface Measured {
  readonly rps: Map<string, number[]>;
  /** Server CPU time (user and system) per request, µs. */
  readonly cpuPerRequest: Map<string, number[]>;
  /** p99 latency of each run, ms (from every response's time: see `LoadRun.p99Ms`). */
  readonly p99: Map<string, number[]>;
  /** Server CPU during each run, as a fraction of one core. */
  readonly serverCpu: Map<string, number[]>;
  /** Load generator CPU during each run, as a fraction of one core. */
  readonly generatorCpu: Map<string, number[]>;
  /** Requests over all rounds. */
  readonly requests: Map<string, number>;
  /** Handler runs over the whole run. */
  readonly handlerRuns: Map<string, number>;
}

/** One measure of the subjects, with the unit it is shown in. */
interface Metric {
  readonly label: string;
  readonly samples: (m: Measured) => Map<string, number[]>;
  readonly format: (value: number) => string;
}

const CPU: Metric = {
  label: 'server CPU/request',
  samples: (m) => m.cpuPerRequest,
  format: (us) => `${us.toFixed(0)} µs`,
};
const P99: Metric = { label: 'p99', samples: (m) => m.p99, format: (ms) => `${ms.toFixed(2)} ms` };
const RPS: Metric = {
  label: 'req/s',
  samples: (m) => m.rps,
  format: (rps) => `${Math.round(rps).toLocaleString('en-US')} req/s`,
};

/**
 * A row of subject against baseline: the ratio is the median of the per-round ratios (both
 * measured in the same round), with their interquartile range; the values are the medians.
 */
function pairedRow(
  measured: Measured,
  metric: Metric,
  subject: HttpSubject,
  baseline: HttpSubject,
  target?: Target,
): ResultRow {
  const s = metric.samples(measured).get(subject.name) ?? [];
  const b = metric.samples(measured).get(baseline.name) ?? [];
  const ratios = s.map((value, i) => value / (b[i] as number)).slice(0, b.length);
  return {
    scenario: '11',
    subject: `${subject.name}: ${metric.label}`,
    subjectValue: metric.format(median(s)),
    baseline: `${baseline.name}: ${metric.label}`,
    baselineValue: metric.format(median(b)),
    ratio: median(ratios),
    spread: pairedRatioSpread(s, b),
    ...(target ? { target } : {}),
  };
}

/** The targets on the cost of a hit, as ratios to the reference (per-round pairs, median). */
const TARGETS: Partial<Record<HttpStackKind, { readonly cpu: number; readonly p99?: number }>> = {
  'strata-memory': { cpu: 1.1, p99: 1.2 },
  'strata-redis': { cpu: 1.25 },
};

/**
 * The rows of one adapter: the cost of each subject next to the reference (with the targets for
 * Strata's memory and Redis-only hits), then req/s next to the bare route and, for Strata,
 * next to `CacheInterceptor` with the same store.
 */
export function httpRows(subjects: readonly HttpSubject[], measured: Measured): ResultRow[] {
  const of = (stack: HttpStackKind): HttpSubject | undefined => subjects.find((s) => s.stack === stack);
  const reference = of('floor-interceptor');
  const bare = of('bare');
  if (reference === undefined || bare === undefined)
    throw new Error('scenario 11: no reference or bare route');
  const cost: ResultRow[] = [];
  const rates: ResultRow[] = [];
  for (const subject of subjects) {
    if (subject === reference) continue;
    const target = TARGETS[subject.stack];
    cost.push(pairedRow(measured, CPU, subject, reference, target && { op: '<=', value: target.cpu }));
    if (target?.p99 !== undefined) {
      cost.push(pairedRow(measured, P99, subject, reference, { op: '<=', value: target.p99 }));
    }
    if (subject !== bare) rates.push(pairedRow(measured, RPS, subject, bare));
  }
  const peers: [HttpStackKind, HttpStackKind][] = [
    ['strata-memory', 'cm-memory'],
    ['strata-redis', 'cm-redis'],
  ];
  for (const [strata, peer] of peers) {
    const s = of(strata);
    const p = of(peer);
    if (s !== undefined && p !== undefined) rates.push(pairedRow(measured, RPS, s, p));
  }
  return [...cost, ...rates];
}

/** Per subject: medians of p99, CPU use of the server and of the generator, and handler runs. */
export function httpNote(subjects: readonly HttpSubject[], measured: Measured): string {
  const at = (m: Map<string, number[]>, name: string): number => median(m.get(name) ?? [0]);
  const parts = subjects.map((s) => {
    const runs = measured.handlerRuns.get(s.name) ?? 0;
    const server = Math.round(at(measured.serverCpu, s.name) * 100);
    const generator = Math.round(at(measured.generatorCpu, s.name) * 100);
    return `${s.name}: ${at(measured.cpuPerRequest, s.name).toFixed(0)} µs/request, p99 ${at(measured.p99, s.name).toFixed(2)} ms, ${Math.round(at(measured.rps, s.name)).toLocaleString('en-US')} req/s, server ${server} %, generator ${generator} %, handler runs ${runs.toLocaleString('en-US')}`;
  });
  return `Medians over the rounds: server CPU time per request (user and system), p99 latency, req/s, CPU use of the server and of the load generator in % of one core; handler runs over the whole scenario. ${parts.join('; ')}.`;
}
