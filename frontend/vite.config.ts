import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vitest/config';

// React's automatic JSX runtime through esbuild: no Babel plugin needed.
export default defineConfig({
  plugins: [tailwindcss()],
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // embed-test.html: the e2e suite's host page (hostile / Tailwind / sidebar mounts of the panel)
    rollupOptions: { input: { main: 'index.html', embed: 'embed-test.html' } },
  },
  server: {
    // `npm run dev` against a local runner on 7071.
    proxy: { '/api': 'http://127.0.0.1:7071' },
  },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    // A zone far from Buenos Aires: the code must format in America/Argentina/Buenos_Aires whatever the machine says.
    env: { TZ: 'Asia/Tokyo' },
    restoreMocks: true,
    // room for Testing Library's 5 s waits (src/test/setup.ts) under a loaded 2-core machine
    testTimeout: 15_000,
  },
});
