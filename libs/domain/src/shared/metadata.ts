/**
 * Metadata every event carries. It enters through the command (the HTTP layer or the worker
 * fills it); deciders copy it onto the events they emit and never invent it.
 */
export interface EventMetadata {
  /** `user:<name>`, `operator` or `system`. */
  readonly actor: string;
  /** The access token that authorised the command, when there was one. */
  readonly tokenId?: string;
  readonly requestId: string;
  readonly correlationId: string;
  readonly causationId: string;
  /** ISO-8601 timestamp taken once, when the command was created. */
  readonly occurredAt: string;
}

/** The envelope shape shared by every event and command: `{ type, data, metadata }`. */
export interface Message<TType extends string, TData> {
  readonly type: TType;
  readonly data: TData;
  readonly metadata: EventMetadata;
}
