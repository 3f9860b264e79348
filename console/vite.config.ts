import { defineConfig } from 'vite';

/**
 * The console is served by the gateway at /console/ (`npm start`), so it is built with that base. `npm run dev`
 * in console/ serves it with hot reload and proxies /graphql to a gateway on GATEWAY_URL (default npm start's).
 */
export default defineConfig({
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/graphql': process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000',
      '/console/session': process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000',
    },
  },
});
