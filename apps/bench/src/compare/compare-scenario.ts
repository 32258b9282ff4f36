import type { BenchRedis } from '../redis.js';
import type { Fixture, SampleShape } from './alternate.js';
import type { LoadedBuild } from './load-build.js';

/** What a scenario's setup gets besides the build. */
export interface ScenarioContext {
  readonly redis: BenchRedis;
  /** A key prefix unique to this build and scenario, under the run's prefix. */
  readonly prefix: string;
}

/** A hot path measured on both builds with the same code, through the public API only. */
export interface CompareScenario {
  /** Short id, for `--only`. */
  readonly id: string;
  readonly title: string;
  readonly shape: SampleShape;
  /** Builds the scenario's state on one build and checks its operation does what it should. */
  setup(build: LoadedBuild, context: ScenarioContext): Promise<Fixture>;
}
