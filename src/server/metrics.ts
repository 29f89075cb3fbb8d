/** Counters for `/metrics`, in Prometheus' text format; series are named `strata_*`. */
export class Metrics {
  private requests = new Map<string, number>();
  private latency = new Map<string, { sum: number; count: number }>();
  pruneRuns = 0;
  pruneRecords = 0;
  pruneBytes = 0;
  gcRuns = 0;

  request(route: string, method: string, status: number, seconds: number) {
    const key = `method="${method}",route="${route}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const lkey = `method="${method}",route="${route}"`;
    const l = this.latency.get(lkey) ?? { sum: 0, count: 0 };
    l.sum += seconds;
    l.count++;
    this.latency.set(lkey, l);
  }

  render(store: { records: { [state: string]: number }; bytes: { [state: string]: number } }): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family("strata_records", "gauge", "Records by state.");
    for (const [state, n] of Object.entries(store.records)) out.push(`strata_records{state="${state}"} ${n}`);
    family("strata_bytes", "gauge", "Bytes used by records, by state.");
    for (const [state, n] of Object.entries(store.bytes)) out.push(`strata_bytes{state="${state}"} ${n}`);
    family("strata_requests_total", "counter", "HTTP requests by route and status.");
    for (const [k, n] of this.requests) out.push(`strata_requests_total{${k}} ${n}`);
    family("strata_request_duration_seconds", "summary", "Time spent answering requests.");
    for (const [k, l] of this.latency) {
      out.push(`strata_request_duration_seconds_sum{${k}} ${l.sum}`, `strata_request_duration_seconds_count{${k}} ${l.count}`);
    }
    family("strata_prune_runs_total", "counter", "Prune runs, by request or automatic GC.");
    out.push(`strata_prune_runs_total ${this.pruneRuns}`);
    family("strata_prune_records_total", "counter", "Records removed by prune.");
    out.push(`strata_prune_records_total ${this.pruneRecords}`);
    family("strata_prune_bytes_freed_total", "counter", "Bytes freed by prune.");
    out.push(`strata_prune_bytes_freed_total ${this.pruneBytes}`);
    family("strata_gc_runs_total", "counter", "Automatic GC runs.");
    out.push(`strata_gc_runs_total ${this.gcRuns}`);
    return out.join("\n") + "\n";
  }
}
