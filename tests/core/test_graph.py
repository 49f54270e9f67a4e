"""core.graph: node and edge counts of the unrolled graph for every I/O structure."""
import pytest

from core.graph import MAX_DRAWN_STEPS, STRUCTURES, build_graph


def _check_wellformed(g):
    ids = [n.id for n in g.nodes]
    assert len(ids) == len(set(ids)), "node ids must be unique"
    for e in g.edges:
        assert e.src in ids and e.dst in ids, e


@pytest.mark.parametrize("T", [1, 2, 5, 30])
def test_many_to_many(T):
    g = build_graph("many-to-many", T)
    _check_wellformed(g)
    assert (g.count("x"), g.count("h"), g.count("y"), g.count("L")) == (T, T, T, T)
    assert len(g.nodes) == 4 * T and len(g.edges) == 4 * T - 1
    assert (g.uses("W_xh"), g.uses("W_hh"), g.uses("W_hy"), g.uses("loss")) == (T, T - 1, T, T)


@pytest.mark.parametrize("T", [2, 7])
def test_many_to_one_has_one_output_and_loss_at_the_end(T):
    g = build_graph("many-to-one", T)
    _check_wellformed(g)
    assert (g.count("x"), g.count("h"), g.count("y"), g.count("L")) == (T, T, 1, 1)
    assert len(g.edges) == T + (T - 1) + 2
    assert g.node(f"y{T - 1}").col == g.node(f"h{T - 1}").col


@pytest.mark.parametrize("T", [2, 6])
def test_one_to_many_reads_one_input(T):
    g = build_graph("one-to-many", T)
    _check_wellformed(g)
    assert (g.count("x"), g.count("h"), g.count("y"), g.count("L")) == (1, T, T, T)
    assert len(g.edges) == 1 + (T - 1) + 2 * T


def test_one_to_one_forces_a_single_step():
    g = build_graph("one-to-one", 9)
    _check_wellformed(g)
    assert g.T == 1 and len(g.nodes) == 4 and len(g.edges) == 3 and g.uses("W_hh") == 0


@pytest.mark.parametrize("T,out", [(4, 4), (5, 3)])
def test_encoder_decoder(T, out):
    g = build_graph("encoder-decoder", T, out_steps=out)
    _check_wellformed(g)
    assert (g.count("x"), g.count("h"), g.count("s"), g.count("y"), g.count("L")) == (T, T, out, out, out)
    assert g.uses("W_hh") == T - 1 and g.uses("W_hh_dec") == out - 1 and g.uses("dec_init") == 1
    assert len(g.edges) == T + (T - 1) + 1 + (out - 1) + 2 * out
    # the decoder sits to the right of the encoder
    assert min(n.col for n in g.nodes if n.kind == "s") > max(n.col for n in g.nodes if n.kind == "h")


@pytest.mark.parametrize("structure", STRUCTURES)
def test_bidirectional_adds_a_backward_chain(structure):
    T = 5
    g0 = build_graph(structure, T)
    g = build_graph(structure, T, bidirectional=True)
    _check_wellformed(g)
    Tn = g.T
    assert g.count("hb") == Tn
    assert g.uses("W_hh_b") == Tn - 1
    assert g.uses("W_xh_b") == g0.count("x")
    # the backward chain runs from T-1 down to 0
    assert all(int(e.src[2:]) == int(e.dst[2:]) + 1 for e in g.edges if e.weight == "W_hh_b")
    assert len(g.nodes) == len(g0.nodes) + Tn


def test_attention_adds_context_edges():
    T = 6
    g = build_graph("many-to-one", T, attention=True)
    _check_wellformed(g)
    assert g.count("ctx") == 1 and g.uses("attn") == T and g.count("L") == 1
    assert any(e.src == "ctx" and e.dst == f"y{T - 1}" for e in g.edges)
    gb = build_graph("many-to-one", T, attention=True, bidirectional=True)
    assert gb.uses("attn") == 2 * T
    with pytest.raises(ValueError, match="many-to-one"):
        build_graph("many-to-many", T, attention=True)


def test_long_sequences_are_summarised_with_a_connected_chain():
    T = 100
    g = build_graph("many-to-many", T)
    _check_wellformed(g)
    assert g.summarised and len(g.shown_steps) == MAX_DRAWN_STEPS - 1 and g.count("gap") == 1
    assert g.shown_steps[0] == 0 and g.shown_steps[-1] == T - 1
    # follow W_hh from h0: every drawn state is reached, through the gap
    nxt = {e.src: e.dst for e in g.edges if e.weight == "W_hh"}
    seen, cur = [], "h0"
    while cur in nxt:
        cur = nxt[cur]
        seen.append(cur)
    assert seen[-1] == f"h{T - 1}" and "gap_h" in seen
    assert g.count("h") == MAX_DRAWN_STEPS - 1
    assert not build_graph("many-to-many", MAX_DRAWN_STEPS).summarised


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown structure"):
        build_graph("many-to-few", 3)
    with pytest.raises(ValueError, match="T must"):
        build_graph("many-to-many", 0)
