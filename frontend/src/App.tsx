export function App() {
  return <h1>FlowStudio</h1>;
}
