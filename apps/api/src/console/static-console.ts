import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { type Router } from 'express';
import { errorBody } from '../http/error-body';

/** Where the console build lives: `dist/console`, next to the built api (or from the sources, in tests). */
export function consoleDirectory(): string | undefined {
  const candidates = [resolve(__dirname, '../../../../console'), resolve(__dirname, '../../../../dist/console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/**
 * Static files with long caching for Vite's hashed assets, and `index.html` (never cached, so a
 * new build is picked up) for every other path under `/console` (client-side routes).
 */
export function consoleRouter(directory = consoleDirectory()): Router {
  const router = express.Router();
  if (!directory) {
    router.use((_request, response) => {
      response.status(404).json(errorBody('CONSOLE_NOT_BUILT', 'The console is not built; run npm run build'));
    });
    return router;
  }
  router.use((_request, response, next) => {
    response.set({
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  });
  router.use('/assets', express.static(join(directory, 'assets'), { immutable: true, maxAge: '1y', fallthrough: false }));
  router.use(express.static(directory, { index: false, maxAge: 0 }));
  router.get(/.*/, (_request, response) => {
    response.set('Cache-Control', 'no-cache').sendFile(join(directory, 'index.html'));
  });
  return router;
}
