import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { handleControl } from './control-api';
import type { EmulatorState } from './emulator-state';
import { ControlError, KmsError, StsError } from './errors';
import { handleKms } from './kms-dispatch';
import { handleSts, stsAction } from './sts-handler';
import { stsErrorXml } from './sts-xml';

const KMS_TARGET_PREFIX = 'TrentService.';

/**
 * The HTTP front: `/_emulator/*` is the control API, `POST /` with `X-Amz-Target:
 * TrentService.*` is KMS (AWS JSON 1.1) and a form-encoded `POST /` is STS (AWS Query).
 */
export function createEmulatorServer(state: EmulatorState): Server {
  // Longer than the SDK's idle sockets live, so keep-alive connections are not cut mid-request.
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => route(state, req, res, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
  });
  return server;
}

function route(state: EmulatorState, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const path = (req.url ?? '/').split('?')[0];
  const method = req.method ?? 'GET';
  if (path.startsWith('/_emulator/')) return control(state, method, path, body, res);
  const target = req.headers['x-amz-target'];
  if (method === 'POST' && typeof target === 'string' && target.startsWith(KMS_TARGET_PREFIX)) {
    return kms(state, target.slice(KMS_TARGET_PREFIX.length), req, body, res);
  }
  if (method === 'POST' && (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')) {
    sts(state, body, res);
    return;
  }
  sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `Nothing emulated at ${method} ${path}` } });
}

function kms(state: EmulatorState, operation: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const token = req.headers['x-amz-security-token'];
  try {
    const result = handleKms(state, {
      operation,
      body,
      authorization: req.headers.authorization,
      sessionToken: typeof token === 'string' ? token : undefined,
    });
    if (isPromise(result)) result.then((value) => sendKms(res, 200, value), (error: unknown) => sendKmsError(res, error));
    else sendKms(res, 200, result);
  } catch (error) {
    sendKmsError(res, error);
  }
}

function isPromise(value: object | Promise<object>): value is Promise<object> {
  return typeof (value as { then?: unknown }).then === 'function';
}

function sendKms(res: ServerResponse, status: number, value: object, errorName?: string): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorName ? { 'x-amzn-errortype': errorName } : {}),
  });
  res.end(payload);
}

function sendKmsError(res: ServerResponse, error: unknown): void {
  const failure = error instanceof KmsError ? error : new KmsError('KMSInternalException', 'An internal error occurred in the KMS emulator.');
  sendKms(res, failure.status, { __type: failure.errorName, message: failure.message }, failure.errorName);
}

async function sts(state: EmulatorState, body: Buffer, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const form = new URLSearchParams(body.toString('utf8'));
  const action = stsAction(form);
  state.stats.recordCall(action, undefined, 'anonymous');
  try {
    if (state.stsOutage === 'unavailable') throw new StsError('InternalFailure', 'Injected outage: STS is unavailable.');
    if (state.stsOutage === 'idp-unreachable') throw new StsError('IDPCommunicationError', 'Injected outage: the identity provider could not be reached.');
    const xml = await handleSts(form, requestId, state.stsContext());
    sendXml(res, 200, xml, requestId);
  } catch (error) {
    const failure = error instanceof StsError ? error : new StsError('InternalFailure', 'An internal error occurred in the STS emulator.');
    state.stats.recordError(action, failure.code);
    sendXml(res, failure.status, stsErrorXml(failure, requestId), requestId);
  }
}

function sendXml(res: ServerResponse, status: number, xml: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml), 'x-amzn-requestid': requestId });
  res.end(xml);
}

function control(state: EmulatorState, method: string, path: string, body: Buffer, res: ServerResponse): void {
  try {
    const response = handleControl(state, method, path, body);
    sendJson(res, response.status, response.body);
  } catch (error) {
    if (error instanceof ControlError) sendJson(res, error.status, { error: { code: error.code, message: error.message } });
    else sendJson(res, 500, { error: { code: 'INTERNAL', message: 'Unexpected control API failure' } });
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const payload = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}
