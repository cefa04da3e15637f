// The sign-in page, shown when the server asks for a password (it listens beyond this computer).
import { useState } from "react";
import { api, type Session } from "../api/client";

export function Login({ onDone }: { onDone(session: Session): void }) {
  const [password, setPassword] = useState("");
  const [name, setName] = useState(() => localStorage.getItem("flowstudio.author") ?? "");
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="page login-page">
      <form className="login-box" onSubmit={async (e) => {
        e.preventDefault();
        try {
          await api.login(password, name || undefined);
          if (name) localStorage.setItem("flowstudio.author", name);
          onDone(await api.session());
        } catch (err) {
          setError((err as { status?: number }).status === 401 ? "That password is not right." : (err as Error).message);
        }
      }}>
        <h1>FlowStudio</h1>
        <p className="muted">Sign in to edit your flows.</p>
        <label className="field">Your name <input value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" /></label>
        <label className="field">Password <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus autoComplete="current-password" /></label>
        {error && <p className="error">{error}</p>}
        <button type="submit" className="primary wide">Sign in</button>
      </form>
    </div>
  );
}
