import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

const APPEND_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * This worker process's Prometheus registry, served on its probe port: Node defaults and the
 * event-store append latency of the fleet's run events. The fleet's rewrap counters and
 * histograms are fleet-wide (kept in Redis) and served once, by the api.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly appends: Histogram<'outcome'>;

  constructor(workerName: string) {
    this.registry.setDefaultLabels({ worker: workerName });
    collectDefaultMetrics({ register: this.registry, prefix: 'cmk_worker_' });
    this.appends = new Histogram({
      name: 'cmk_event_store_append_seconds',
      help: 'Latency of one event-store append (the events of one command), by outcome.',
      labelNames: ['outcome'],
      buckets: APPEND_SECONDS_BUCKETS,
      registers: [this.registry],
    });
  }

  observeAppend = (seconds: number, outcome: 'ok' | 'error'): void => {
    this.appends.observe({ outcome }, seconds);
  };
}
