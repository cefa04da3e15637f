// The editor is built into the Python package's static files; `flowstudio serve` serves it at `/`.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const API = process.env.FLOWSTUDIO_API ?? "http://127.0.0.1:5000";

export default defineConfig({
  plugins: [react()],
  // ELK (auto-layout) is a 1.5 MB chunk loaded only when someone tidies up.
  build: { outDir: "../flowstudio/web/static", emptyOutDir: true, chunkSizeWarningLimit: 1600 },
  // FLOWSTUDIO_API points the proxy at another server (default: `flowstudio serve` on port 5000).
  server: { proxy: { "/api": API, "/webhooks": API, "/socket.io": { target: API, ws: true } } },
  test: { environment: "node" },
});
