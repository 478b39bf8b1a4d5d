/** Stable codes the webhooks library answers with (beside the domain's `WEBHOOK_*` refusals). */
export const WEBHOOK_ERROR_CODES = {
  /** Not https (unless allowed), credentials in the URL, not a URL, or the host does not resolve. */
  WEBHOOK_URL_INVALID: 400,
  /** The host resolves to a loopback, link-local, private or reserved address not allow-listed. */
  WEBHOOK_URL_FORBIDDEN: 400,
  /** A retried create (same Idempotency-Key): the secret is shown only once. */
  WEBHOOK_ALREADY_CREATED: 409,
} as const;
