import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

// `npm run build:panel`: the drop-in as one ES module for FastService (dist-panel/whatsapp-panel.js),
// its stylesheet compiled in, React and ReactDOM left to the host (FastService has its own).
export default defineConfig({
  plugins: [tailwindcss()],
  esbuild: { jsx: 'automatic' },
  define: { 'process.env.NODE_ENV': '"production"' },
  build: {
    outDir: 'dist-panel',
    emptyOutDir: true,
    sourcemap: false,
    copyPublicDir: false,
    lib: { entry: 'src/components/WhatsApp/index.ts', formats: ['es'], fileName: () => 'whatsapp-panel.js' },
    rollupOptions: { external: [/^react($|\/)/, /^react-dom($|\/)/] },
  },
});
