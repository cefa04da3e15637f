// The whole app: sign-in when the server asks for it, then two pages by URL:
// `/` (the flow list) and `/flows/<id>` (the editor). No router library: two routes.
import { useCallback, useEffect, useState } from "react";
import { api, ApiError, setCsrf, type Session } from "../api/client";
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

  useEffect(() => {
    api.session().then((s) => { setCsrf(s.csrf); setSession(s); }, (e) => {
      // A server without the session endpoint needs no sign-in.
      if (e instanceof ApiError && e.status === 404) setSession({ login_required: false, authenticated: true, csrf: "", user: null });
      else setSession({ login_required: false, authenticated: true, csrf: "", user: null });
    });
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

  if (!session) return null;
  if (session.login_required && !session.authenticated) {
    return <Login onDone={(s) => { setCsrf(s.csrf); setSession(s); }} />;
  }
  if (route.flow) return <EditorPage key={route.flow} flowId={route.flow} onHome={() => go("/")} />;
  return <FlowList onOpen={(id) => go(`/flows/${encodeURIComponent(id)}`)} />;
}
