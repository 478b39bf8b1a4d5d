import type { EmulatorState, StsOutage } from './emulator-state';
import { ControlError, type KmsErrorName } from './errors';
import type { KeyState } from './key-store';
import type { RoleDefinition } from './roles';

export interface ControlResponse {
  readonly status: number;
  readonly body: unknown;
}

const KEY_STATE_PATH = /^\/_emulator\/keys\/([^/]+)\/state$/;

/** Routes `/_emulator/*` requests to the state's control methods. Bodies are JSON. */
export function handleControl(state: EmulatorState, method: string, path: string, body: Buffer): ControlResponse {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /_emulator/health':
      return ok(state.health());
    case 'POST /_emulator/roles':
      return ok(state.registerRole(json(body) as unknown as RoleDefinition), 201);
    case 'POST /_emulator/keys': {
      const input = json(body);
      return ok(state.createKey({ alias: optional(input.alias), description: optional(input.description) }), 201);
    }
    case 'POST /_emulator/faults': {
      const input = json(body);
      const fault = state.addFault({
        operation: optional(input.operation),
        keyArn: optional(input.keyArn),
        error: optional(input.error) as KmsErrorName | undefined,
        rate: optionalNumber(input.rate),
        latencyMs: optionalNumber(input.latencyMs),
        count: optionalNumber(input.count),
        redirectKeyArn: optional(input.redirectKeyArn),
        corruptCiphertext: input.corruptCiphertext === undefined ? undefined : (input.corruptCiphertext as boolean),
      });
      return ok(fault, 201);
    }
    case 'GET /_emulator/faults':
      return ok({ faults: state.faults.list() });
    case 'DELETE /_emulator/faults':
      state.clearFaults();
      return ok({ cleared: true });
    case 'GET /_emulator/stats':
      return ok(state.getStats());
    case 'DELETE /_emulator/stats':
      state.resetStats();
      return ok({ reset: true });
    case 'POST /_emulator/quota': {
      const perSecond = json(body).perSecond;
      state.setQuota(perSecond === null ? undefined : optionalNumber(perSecond));
      return ok({ perSecond: state.quota.current ?? null });
    }
    case 'POST /_emulator/sts-outage': {
      const outage = json(body).outage;
      return ok(state.setStsOutage(outage === null ? undefined : (optional(outage) as StsOutage | undefined)));
    }
    case 'POST /_emulator/latency': {
      state.setLatency(optionalNumber(json(body).latencyMs) ?? 0);
      return ok({ latencyMs: state.latencyMs });
    }
  }
  const keyState = method === 'POST' ? KEY_STATE_PATH.exec(path) : null;
  if (keyState) {
    const requested = json(body).state;
    return ok(state.setKeyState(decodeURIComponent(keyState[1]), requested as KeyState));
  }
  throw new ControlError('NOT_FOUND', `No control route ${route}`, 404);
}

function ok(body: unknown, status = 200): ControlResponse {
  return { status, body };
}

function json(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError('INVALID_JSON', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ControlError('INVALID_JSON', 'Request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

function optional(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ControlError('INVALID_FIELD', `expected a string, got ${typeof value}`);
  return value;
}

function optionalNumber(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new ControlError('INVALID_FIELD', `expected a number, got ${typeof value}`);
  return value;
}
