import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const apiClient = fileURLToPath(new URL('../../libs/api-client/src/index.ts', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/console', import.meta.url));

/** Static files served by the api at /console (same origin: no CORS, the token stays in a header). */
export default defineConfig({
  root,
  base: '/console/',
  plugins: [react()],
  resolve: { alias: { '@cmk/api-client': apiClient } },
  build: { outDir, emptyOutDir: true, sourcemap: false, target: 'es2022', reportCompressedSize: false },
});
