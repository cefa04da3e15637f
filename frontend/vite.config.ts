// The editor is built into the Python package's static files; `flowstudio serve` serves it at `/`.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "../flowstudio/web/static", emptyOutDir: true },
  // `npm run dev` proxies the API to a `flowstudio serve` on port 5000.
  server: { proxy: { "/api": "http://127.0.0.1:5000", "/webhooks": "http://127.0.0.1:5000", "/socket.io": { target: "http://127.0.0.1:5000", ws: true } } },
  test: { environment: "node" },
});
