"""The graph checks' plain traversals (graph.reachable, graph.strongly_connected) find
what networkx finds, on random graphs of every shape: with self-loops, cycles within
cycles, isolated nodes and long chains (deeper than Python's recursion limit)."""
import random

import networkx as nx
import pytest

from flowstudio.spec import graph


def random_graph(rng: random.Random, n: int, edges: int) -> dict:
    succ = {f"w{i}": {} for i in range(n)}
    names = list(succ)
    for _ in range(edges):
        succ[rng.choice(names)][rng.choice(names)] = None
    return succ


def as_networkx(succ: dict) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(succ)
    g.add_edges_from((a, b) for a, bs in succ.items() for b in bs)
    return g


@pytest.mark.parametrize("seed", range(200))
def test_same_components_and_reach_as_networkx(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    succ = random_graph(rng, n, rng.randint(0, 3 * n))
    g = as_networkx(succ)
    ours = graph.strongly_connected(succ)
    assert sorted(map(sorted, ours)) == sorted(map(sorted, nx.strongly_connected_components(g)))
    assert sum(map(len, ours)) == n   # each node in exactly one component
    for start in succ:
        assert graph.reachable(succ, start) == nx.descendants(g, start) | {start}


def test_a_long_chain_and_a_long_cycle_need_no_recursion():
    n = 20_000
    chain = {f"w{i}": {f"w{i + 1}": None} if i + 1 < n else {} for i in range(n)}
    assert len(graph.strongly_connected(chain)) == n
    assert len(graph.reachable(chain, "w0")) == n
    cycle = {f"w{i}": {f"w{(i + 1) % n}": None} for i in range(n)}
    assert graph.strongly_connected(cycle) == [set(cycle)]
