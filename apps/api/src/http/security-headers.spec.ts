import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { helmetHeaders, securityHeaders } from './security-headers';

function respond(middleware: RequestHandler, preset: Record<string, string>): Record<string, unknown> {
  const request = new IncomingMessage(new Socket());
  request.method = 'GET';
  request.url = '/api/docs';
  const response = new ServerResponse(request);
  for (const [name, value] of Object.entries(preset)) response.setHeader(name, value);
  let passed = false;
  void middleware(request as Request, response as unknown as Response, (error?: unknown) => {
    if (error) throw error;
    passed = true;
  });
  expect(passed).toBe(true);
  return { ...response.getHeaders() };
}

describe('security headers', () => {
  it.each<Record<string, string>>([{}, { 'X-Powered-By': 'Express' }, { 'X-Request-Id': 'r-1', 'Content-Type': 'text/plain' }])('sets exactly what helmet sets (preset %j)', (preset) => {
    const helmet = helmetHeaders();
    const replay = securityHeaders();
    for (let i = 0; i < 3; i++) expect(respond(replay, preset)).toEqual(respond(helmet, preset));
    expect(respond(replay, preset)).not.toHaveProperty('x-powered-by');
    expect(respond(replay, preset)['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });
});
