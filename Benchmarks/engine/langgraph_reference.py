"""LangGraph side of `loom bench engine`: the same two graphs, timed the same way (median of N runs after 20
warm-up runs, whole graph invocation in process). Prints one JSON line: {graph: {seconds_per_run, nodes}}."""
import argparse
import json
import operator
import statistics
import time
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph


def chain(length):
    class State(TypedDict, total=False):
        x: str
        out: Annotated[dict, operator.or_]

    graph = StateGraph(State)
    for i in range(1, length + 1):
        source = "x" if i == 1 else f"n{i - 1}"

        def node(state, i=i, source=source):
            value = state["x"] if source == "x" else state["out"][source]
            return {"out": {f"n{i}": f"n{i}:{value}"}}

        graph.add_node(f"n{i}", node)
    graph.add_edge(START, "n1")
    for i in range(1, length):
        graph.add_edge(f"n{i}", f"n{i + 1}")
    graph.add_edge(f"n{length}", END)
    return graph.compile(), length


def fan_out(width):
    class State(TypedDict, total=False):
        x: str
        out: Annotated[dict, operator.or_]

    graph = StateGraph(State)
    graph.add_node("root", lambda state: {"out": {"root": "root:" + state["x"]}})
    branches = [f"b{i}" for i in range(1, width + 1)]
    for name in branches:
        graph.add_node(name, lambda state, name=name: {"out": {name: f"{name}:{state['out']['root']}"}})
    graph.add_node("join", lambda state: {"out": {"join": ",".join(state["out"][b] for b in branches)}})
    graph.add_edge(START, "root")
    for name in branches:
        graph.add_edge("root", name)
    graph.add_edge(branches, "join")
    graph.add_edge("join", END)
    return graph.compile(), width + 2


def measure(app, runs):
    samples = []
    for round_ in range(20 + runs):
        start = time.perf_counter()
        result = app.invoke({"x": "v", "out": {}})
        elapsed = time.perf_counter() - start
        assert result["out"], "the graph produced nothing"
        if round_ >= 20:
            samples.append(elapsed)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    results = {}
    for name, (app, nodes) in {"chain-100": chain(100), "fan-out-50": fan_out(50)}.items():
        results[name] = {"seconds_per_run": measure(app, runs), "nodes": nodes}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
