"""The unrolled computation graph of a recurrent network, as plain data (lecture note 3, 4, 5, 7).

``build_graph`` lays out the nodes (x_t, h_t, y_t, L_t, and for the remedies the backward chain
and the attention context) and the edges between them for one input/output structure; every edge
that multiplies by a shared weight names that weight ("W_xh", "W_hh", "W_hy"; the backward chain
and the decoder have their own matrices). Coordinates are given so any drawing library can place
the nodes: column = time step, row = the kind of node. No torch, no plotting here.

Long sequences are summarised: with more than ``max_steps`` steps only the first and last few are
kept and a "gap" node stands for the ones left out (edges through the gap keep the chain whole).
"""
from __future__ import annotations

from dataclasses import dataclass, field

STRUCTURES = ("one-to-one", "one-to-many", "many-to-one", "many-to-many", "encoder-decoder")
MAX_DRAWN_STEPS = 30  # sequences longer than this are summarised

# Row (vertical position) of each node kind.
ROWS = {"x": 0.0, "h": 1.0, "hb": 2.0, "ctx": 2.5, "s": 1.0, "y": 3.0, "L": 4.0}
HB_SHIFT = 0.3  # the backward chain sits a little right, so x_t -> h̃_t does not run through h_t
# Weights: the three of the lecture note and the extra matrices of the remedies.
WEIGHTS = ("W_xh", "W_hh", "W_hy", "W_xh_b", "W_hh_b", "W_hh_dec", "attn", "loss", "dec_init")


@dataclass(frozen=True)
class Node:
    """One value of the unrolled graph."""

    id: str  # unique, e.g. "h3", "hb3", "y3", "L3", "s0", "ctx", "gap_h"
    kind: str  # "x", "h", "hb" (backward chain), "s" (decoder state), "ctx", "y", "L", "gap"
    t: int  # time step (decoder steps count from 0 again; -1 for ctx and gap nodes)
    label: str  # text drawn on the node, e.g. "h₃"
    col: float  # horizontal position
    row: float  # vertical position


@dataclass(frozen=True)
class Edge:
    """One use of a weight (or a loss / attention link) from ``src`` to ``dst``."""

    src: str  # node id
    dst: str  # node id
    weight: str  # one of WEIGHTS
    t: int  # the step at which the edge is used (the step of ``dst`` for most edges)


@dataclass(frozen=True)
class Graph:
    """Nodes and edges of one unrolled structure."""

    structure: str  # one of STRUCTURES
    T: int  # input steps
    out_steps: int  # decoder steps (encoder-decoder), else 0
    bidirectional: bool
    attention: bool
    nodes: tuple = field(default_factory=tuple)  # Node, ...
    edges: tuple = field(default_factory=tuple)  # Edge, ...
    shown_steps: tuple = ()  # the input steps drawn (all of range(T) unless summarised)
    shown_out_steps: tuple = ()  # the decoder steps drawn
    summarised: bool = False  # some steps are replaced by gap nodes

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def count(self, kind: str) -> int:
        """Number of nodes of one kind."""
        return sum(n.kind == kind for n in self.nodes)

    def uses(self, weight: str) -> int:
        """Number of edges that use ``weight``."""
        return sum(e.weight == weight for e in self.edges)


def _shown(n: int, max_steps: int) -> tuple[tuple, bool]:
    """Steps kept when ``n`` steps are summarised to at most ``max_steps``."""
    if n <= max_steps:
        return tuple(range(n)), False
    head = max_steps // 2
    tail = max_steps - head - 1
    return tuple(range(head)) + tuple(range(n - tail, n)), True


def _sub(t: int) -> str:
    return str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def build_graph(structure: str, T: int, *, out_steps: int | None = None, bidirectional: bool = False,
                attention: bool = False, max_steps: int = MAX_DRAWN_STEPS) -> Graph:
    """The unrolled graph of one I/O structure.

    Args:
        structure: one of STRUCTURES. "one-to-one" forces T = 1; "one-to-many" reads x only at
            t = 0 and emits y_t, L_t at every step; "many-to-one" emits y and L at the last step;
            "many-to-many" at every step; "encoder-decoder" reads T inputs into h_t, then a decoder
            chain s_0..s_{out-1} (its own W_hh_dec, started from h_{T-1}) emits y_k, L_k.
        T: input steps (>= 1).
        out_steps: decoder steps (encoder-decoder only; default T).
        bidirectional: add a backward chain hb_t (its own W_xh_b, W_hh_b, running from T-1 to 0)
            feeding every output the forward chain feeds.
        attention: many-to-one only: a context node reads every h_t (and hb_t), and y reads it.
        max_steps: longer input (and decoder) chains are summarised around a gap node.
    Returns:
        a ``Graph``.
    Raises:
        ValueError: unknown structure, T < 1, or attention with a structure other than many-to-one.
    """
    if structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; choose one of {STRUCTURES}")
    if attention and structure != "many-to-one":
        raise ValueError("attention is drawn for the many-to-one structure (one output reads all states)")
    T = 1 if structure == "one-to-one" else int(T)
    if T < 1:
        raise ValueError("T must be at least 1")
    n_out = (int(out_steps or T) if structure == "encoder-decoder" else 0)
    shown, cut = _shown(T, max_steps)
    shown_out, cut_out = _shown(n_out, max_steps) if n_out else ((), False)
    nodes: list[Node] = []
    edges: list[Edge] = []
    # column of each shown input step; a summarised chain leaves one column for the gap
    col = {}
    c = 0.0
    for i, t in enumerate(shown):
        if i > 0 and t != shown[i - 1] + 1:
            c += 1.0  # the gap's column
        col[t] = c
        c += 1.0
    gap_col = next((col[shown[i]] - 1.0 for i in range(1, len(shown)) if shown[i] != shown[i - 1] + 1), None)

    def add(kind, t, label, cl, row=None):
        nid = f"{kind}{t}" if t >= 0 else kind
        nodes.append(Node(nid, kind, t, label, cl, ROWS[kind] if row is None else row))
        return nid

    reads_x = (lambda t: t == 0) if structure == "one-to-many" else (lambda t: True)
    emits = {"one-to-one": lambda t: True, "one-to-many": lambda t: True,
             "many-to-one": lambda t: t == T - 1 and not attention,
             "many-to-many": lambda t: True, "encoder-decoder": lambda t: False}[structure]
    for t in shown:
        if reads_x(t):
            add("x", t, f"x{_sub(t)}", col[t])
        add("h", t, f"h{_sub(t)}", col[t])
        if bidirectional:
            add("hb", t, f"h̃{_sub(t)}", col[t] + HB_SHIFT)
        if emits(t):
            add("y", t, f"y{_sub(t)}", col[t])
            add("L", t, f"L{_sub(t)}", col[t])
    if cut:
        nodes.append(Node("gap_h", "gap", -1, "…", gap_col, ROWS["h"]))
        if bidirectional:
            nodes.append(Node("gap_hb", "gap", -1, "…", gap_col + HB_SHIFT, ROWS["hb"]))

    def prev_id(kind, t, chain):
        """The node before step t on a chain (through the gap when t follows it)."""
        i = chain.index(t)
        if i == 0:
            return None
        return f"{kind}{chain[i - 1]}" if chain[i - 1] == t - 1 else f"gap_{kind}"

    for t in shown:
        if reads_x(t):
            edges.append(Edge(f"x{t}", f"h{t}", "W_xh", t))
            if bidirectional:
                edges.append(Edge(f"x{t}", f"hb{t}", "W_xh_b", t))
        p = prev_id("h", t, list(shown))
        if p is not None:
            if p.startswith("gap"):
                edges.append(Edge(f"h{shown[shown.index(t) - 1]}", p, "W_hh", t))
            edges.append(Edge(p, f"h{t}", "W_hh", t))
        if bidirectional:  # runs from T-1 down to 0: hb_{t+1} -> hb_t
            i = shown.index(t)
            if i + 1 < len(shown):
                nxt = shown[i + 1]
                if nxt == t + 1:
                    edges.append(Edge(f"hb{nxt}", f"hb{t}", "W_hh_b", t))
                else:
                    edges.append(Edge(f"hb{nxt}", "gap_hb", "W_hh_b", t))
                    edges.append(Edge("gap_hb", f"hb{t}", "W_hh_b", t))
        if emits(t):
            edges.append(Edge(f"h{t}", f"y{t}", "W_hy", t))
            if bidirectional:  # a "last" head reads the backward chain's final state, hb_0
                src = f"hb{shown[0]}" if structure in ("many-to-one", "one-to-one") else f"hb{t}"
                edges.append(Edge(src, f"y{t}", "W_hy", t))
            edges.append(Edge(f"y{t}", f"L{t}", "loss", t))

    last_col = col[shown[-1]]
    if attention:
        cc = last_col + 1.0
        add("ctx", -1, "c", cc)
        add("y", T - 1, "y", cc)
        add("L", T - 1, "L", cc)
        for t in shown:
            edges.append(Edge(f"h{t}", "ctx", "attn", t))
            if bidirectional:
                edges.append(Edge(f"hb{t}", "ctx", "attn", t))
        edges.append(Edge("ctx", f"y{T - 1}", "W_hy", T - 1))
        edges.append(Edge(f"h{T - 1}", f"y{T - 1}", "W_hy", T - 1))  # y reads [context; query]
        if bidirectional:
            edges.append(Edge(f"hb{shown[0]}", f"y{T - 1}", "W_hy", T - 1))
        edges.append(Edge(f"y{T - 1}", f"L{T - 1}", "loss", T - 1))

    if structure == "encoder-decoder":
        base = last_col + 1.5
        dcol = {}
        c = base
        for i, k in enumerate(shown_out):
            if i > 0 and k != shown_out[i - 1] + 1:
                c += 1.0
            dcol[k] = c
            c += 1.0
        for k in shown_out:
            add("s", k, f"s{_sub(k)}", dcol[k])
            add("y", k, f"y{_sub(k)}", dcol[k])
            add("L", k, f"L{_sub(k)}", dcol[k])
        if cut_out:
            gcol = next(dcol[shown_out[i]] - 1.0 for i in range(1, len(shown_out))
                        if shown_out[i] != shown_out[i - 1] + 1)
            nodes.append(Node("gap_s", "gap", -1, "…", gcol, ROWS["s"]))
        # y ids of the decoder collide with nothing: the encoder emits no y
        edges.append(Edge(f"h{T - 1}", f"s{shown_out[0]}", "dec_init", 0))
        if bidirectional:
            edges.append(Edge(f"hb{shown[0]}", f"s{shown_out[0]}", "dec_init", 0))
        for i, k in enumerate(shown_out):
            if i > 0:
                pk = shown_out[i - 1]
                if pk == k - 1:
                    edges.append(Edge(f"s{pk}", f"s{k}", "W_hh_dec", k))
                else:
                    edges.append(Edge(f"s{pk}", "gap_s", "W_hh_dec", k))
                    edges.append(Edge("gap_s", f"s{k}", "W_hh_dec", k))
            edges.append(Edge(f"s{k}", f"y{k}", "W_hy", k))
            edges.append(Edge(f"y{k}", f"L{k}", "loss", k))
    return Graph(structure, T, n_out, bool(bidirectional), bool(attention), tuple(nodes), tuple(edges),
                 tuple(shown), tuple(shown_out), cut or cut_out)
