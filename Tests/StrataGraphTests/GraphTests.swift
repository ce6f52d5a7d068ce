import StrataModel
import Testing

@testable import StrataGraph

@Suite struct GraphTests {
    private func graph(_ edges: [(String, String)]) -> Graph<String> {
        var graph = Graph<String>()
        for (from, to) in edges { graph.addEdge(from: from, to: to) }
        return graph
    }

    @Test func topologicalOrderPutsDependenciesFirstAndBreaksTiesByKey() {
        var g = graph([("subnet", "vpc"), ("igw", "vpc"), ("cluster", "subnet"), ("cluster", "role")])
        g.add("alone")
        #expect(g.topologicalOrder() == ["alone", "role", "vpc", "igw", "subnet", "cluster"])
        #expect(g.reverseTopologicalOrder() == ["cluster", "subnet", "igw", "vpc", "role", "alone"])
    }

    @Test func cyclesAreReportedWhole() {
        let g = graph([("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "d"), ("f", "f"), ("g", "a")])
        #expect(g.topologicalOrder() == nil)
        #expect(g.cycles() == [["a", "b", "c"], ["d", "e"], ["f"]])
    }

    @Test func aLongChainNeitherOverflowsNorSlowsDown() {
        var g = Graph<Int>()
        for index in 1..<50_000 { g.addEdge(from: index, to: index - 1) }
        #expect(g.cycles().isEmpty)
        #expect(g.topologicalOrder()?.first == 0)
        #expect(g.topologicalOrder()?.count == 50_000)
    }

    @Test func dotIsClusteredColouredAndSorted() {
        let g = graph([("module.net.b", "module.net.a"), ("top", "module.net.b")])
        let dot = g.dot(
            id: { $0 },
            label: { $0.hasPrefix("module.net.") ? String($0.dropFirst("module.net.".count)) : $0 },
            cluster: { $0.hasPrefix("module.net.") ? "net" : nil },
            colour: { $0 == "top" ? "#ffcc00" : nil })
        #expect(
            dot == """
                digraph "strata" {
                  rankdir=LR;
                  node [shape=box, style="rounded,filled", fontname="Helvetica", fillcolor="#ffffff"];
                  "top" [label="top", fillcolor="#ffcc00"];
                  subgraph "cluster_net" {
                    label="net";
                    "module.net.a" [label="a"];
                    "module.net.b" [label="b"];
                  }
                  "module.net.b" -> "module.net.a";
                  "top" -> "module.net.b";
                }

                """)
    }

    @Test func jsonKeysAreSorted() {
        let value = JSONValue.object(["b": .int(1), "a": .array([.string("x\"y"), .null, .double(2)])])
        #expect(value.compact == #"{"a":["x\"y",null,2],"b":1}"#)
    }
}

@Suite struct GraphJSONTests {
    @Test func nodesWithTheirDependenciesAndProperties() {
        var graph = Graph<Int>()
        graph.addEdge(from: 2, to: 1)
        graph.add(3)
        let json = graph.json(id: { "n\($0)" }, properties: { ["odd": .bool($0 % 2 == 1)] })
        #expect(
            json.compact
                == #"{"nodes":[{"dependencies":[],"id":"n1","odd":true},{"dependencies":["n1"],"id":"n2","odd":false},{"dependencies":[],"id":"n3","odd":true}]}"#
        )
    }
}
