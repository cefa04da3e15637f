// The whole app: sign-in when the server asks for it, then two pages by URL:
// `/` (the flow list) and `/flows/<id>` (the editor). No router library: two routes.
import { useCallback, useEffect, useState } from "react";
import { api, setCsrf, type Session } from "../api/client";
import { FlowList } from "../flows/FlowList";
import { Login } from "../flows/Login";
import { EditorPage } from "./EditorPage";
import { flush } from "./sync";

function currentRoute(): { flow: string | null } {
  const m = location.pathname.match(/^\/flows\/([^/]+)\/?$/);
  return { flow: m ? decodeURIComponent(m[1]) : null };
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [route, setRoute] = useState(currentRoute);
  const [unreachable, setUnreachable] = useState<string | null>(null);

  useEffect(() => {
    api.session().then((s) => { setCsrf(s.csrf); setSession(s); },
      (e) => setUnreachable(e instanceof Error ? e.message : String(e)));
    const onPop = () => setRoute(currentRoute());
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const go = useCallback(async (path: string) => {
    await flush().catch(() => undefined);
    history.pushState(null, "", path);
    setRoute(currentRoute());
    if (path === "/") document.title = "FlowStudio";
  }, []);

  if (unreachable) {
    return (
      <div className="page login-page">
        <div className="login-box">
          <h1>FlowStudio</h1>
          <p className="error">The FlowStudio server did not answer ({unreachable}). Is it running?</p>
          <button type="button" className="primary wide" onClick={() => location.reload()}>Try again</button>
        </div>
      </div>
    );
  }
  if (!session) return null;
  if (session.login_required && !session.authenticated) {
    return <Login onDone={(s) => { setCsrf(s.csrf); setSession(s); }} />;
  }
  if (route.flow) return <EditorPage key={route.flow} flowId={route.flow} onHome={() => go("/")} />;
  const signOut = session.login_required
    ? async () => { await api.logout(); const s = await api.session(); setCsrf(s.csrf); setSession(s); }
    : undefined;
  return <FlowList onOpen={(id) => go(`/flows/${encodeURIComponent(id)}`)} user={session.user} onSignOut={signOut} />;
}
