/** Stable codes of key health routes. */
export const KEY_HEALTH_ERROR_CODES = {
  /** An admin's check of the same key within the cooldown. */
  KEY_CHECK_TOO_SOON: 429,
} as const;
