export interface OpsModuleOptions {
  /**
   * `CMK_METRICS_TOKEN`: a second bearer secret accepted on `/metrics` only (for the scraper).
   * Default: unset, only the operator token is accepted.
   */
  readonly metricsToken?: string;
  /** Where the queue dashboard is mounted. Default `/admin/queues`. */
  readonly dashboardPath?: string;
}
