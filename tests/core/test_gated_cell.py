"""core.gated_cell against torch's own nn.LSTMCell / nn.GRUCell (the oracle), and the direct-path
product against autograd."""
import numpy as np
import pytest
import torch

from core import gated_cell as gc


def _random_blocks(kind, H, F, seed):
    rng = np.random.default_rng(seed)
    return {g: {p: rng.normal(0, 1.2, gc.part_shape(p, H, F)) for p in gc.parts(kind, g)} for g in gc.GATES[kind]}


def _torch_cell(spec):
    """The torch cell carrying the spec's weights, float64."""
    cls = torch.nn.LSTMCell if spec.kind == "lstm" else torch.nn.GRUCell
    cell = cls(spec.input_size, spec.hidden_size).double()
    with torch.no_grad():
        for name, v in (("weight_ih", spec.w_ih), ("weight_hh", spec.w_hh), ("bias_ih", spec.b_ih),
                        ("bias_hh", spec.b_hh)):
            getattr(cell, name).copy_(torch.tensor(v, dtype=torch.float64))
    return cell


def _oracle(spec, x):
    """h_t, c_t (LSTM) and every gate, from torch's cell and its weight chunks (no core code)."""
    cell = _torch_cell(spec)
    H = spec.hidden_size
    h = torch.zeros(1, H, dtype=torch.float64)
    c = torch.zeros(1, H, dtype=torch.float64)
    hs, cs, gates = [], [], {g: [] for g in gc.GATES[spec.kind]}
    with torch.no_grad():
        for t in range(len(x)):
            xt = torch.tensor(x[t:t + 1], dtype=torch.float64)
            gi = xt @ cell.weight_ih.T + cell.bias_ih
            gh = h @ cell.weight_hh.T + cell.bias_hh
            if spec.kind == "lstm":
                i, f, g, o = (gi + gh).chunk(4, 1)
                for name, v in zip("ifgo", (i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid())):
                    gates[name].append(v[0].numpy())
                h, c = cell(xt, (h, c))
                cs.append(c[0].numpy())
            else:
                ir, iz, in_ = gi.chunk(3, 1)
                hr, hz, hn = gh.chunk(3, 1)
                r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
                n = (in_ + r * hn).tanh()
                for name, v in zip("rzn", (r, z, n)):
                    gates[name].append(v[0].numpy())
                h = cell(xt, h)
            hs.append(h[0].numpy())
    return np.array(hs), (np.array(cs) if cs else None), {g: np.array(v) for g, v in gates.items()}


@pytest.mark.parametrize("kind", gc.KINDS)
@pytest.mark.parametrize("H,F", [(1, 1), (2, 1), (2, 2), (3, 2)])
def test_record_equals_torch_cells(kind, H, F):
    spec = gc.GatedSpec.from_gates(kind, _random_blocks(kind, H, F, seed=H * 10 + F))
    x = np.random.default_rng(1).normal(0, 1, (9, F))
    rec = gc.run_gated(spec, x)
    h, c, gates = _oracle(spec, x)
    np.testing.assert_allclose(rec.h, h, atol=1e-6)
    if kind == "lstm":
        np.testing.assert_allclose(rec.c, c, atol=1e-6)
        np.testing.assert_allclose(rec.c_prev[1:], c[:-1], atol=1e-6)
    for g in gc.GATES[kind]:
        np.testing.assert_allclose(rec.gates[g], gates[g], atol=1e-6)
    np.testing.assert_allclose(rec.h_prev[1:], h[:-1], atol=1e-6)
    assert np.all(rec.h_prev[0] == 0)


@pytest.mark.parametrize("kind", gc.KINDS)
def test_terms_add_up_to_the_gates(kind):
    """The terms the equations show (W x, W h, bias, pre-activation) give the gate values."""
    H, F = 3, 2
    spec = gc.GatedSpec.from_gates(kind, _random_blocks(kind, H, F, seed=7))
    x = np.random.default_rng(2).normal(0, 1, (6, F))
    rec = gc.run_gated(spec, x)
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    for g in gc.GATES[kind]:
        np.testing.assert_allclose(rec.wx[g], x @ spec.block(g, "W_x").T, atol=1e-9)
        if (kind, g) == ("gru", "n"):
            hn = rec.h_prev @ spec.block(g, "W_h").T + spec.block(g, "b_h")
            np.testing.assert_allclose(rec.wh[g], hn, atol=1e-9)
            pre = rec.wx[g] + spec.block(g, "b") + rec.gates["r"] * hn
        else:
            np.testing.assert_allclose(rec.wh[g], rec.h_prev @ spec.block(g, "W_h").T, atol=1e-9)
            pre = rec.wx[g] + rec.wh[g] + spec.block(g, "b")
        np.testing.assert_allclose(rec.pre[g], pre, atol=1e-9)
        act = np.tanh(pre) if g in ("g", "n") else sig(pre)
        np.testing.assert_allclose(rec.gates[g], act, atol=1e-9)


def test_blocks_round_trip_and_bad_shapes():
    blocks = _random_blocks("gru", 2, 1, seed=3)
    spec = gc.GatedSpec.from_gates("gru", blocks)
    for g in gc.GATES["gru"]:
        for p in gc.parts("gru", g):
            np.testing.assert_array_equal(spec.block(g, p), blocks[g][p])
    assert spec.block("r", "b_h").tolist() == [0.0, 0.0]  # only n has a recurrent bias
    blocks["z"]["W_h"] = np.zeros((2, 3))
    with pytest.raises(ValueError, match="z.W_h"):
        gc.GatedSpec.from_gates("gru", blocks)
    with pytest.raises(ValueError, match="kind"):
        gc.GatedSpec.from_gates("rnn", blocks)


@pytest.mark.parametrize("kind", gc.KINDS)
def test_direct_path_product_is_the_gradient_along_the_direct_path(kind):
    """With no recurrent weights the direct path is the only path: autograd's dc_t/dc_0 (LSTM) or
    dh_t/dh_0 (GRU) equals the product of forget (update) gates after step 0."""
    H, F, T = 2, 2, 8
    blocks = _random_blocks(kind, H, F, seed=11)
    for g in gc.GATES[kind]:
        blocks[g]["W_h"] = np.zeros((H, H))
        if "b_h" in blocks[g]:
            blocks[g]["b_h"] = np.zeros(H)
    spec = gc.GatedSpec.from_gates(kind, blocks)
    x = np.random.default_rng(4).normal(0, 1, (T, F))
    P = gc.direct_path_product(gc.run_gated(spec, x).direct)
    assert P[0].tolist() == [1.0, 1.0]
    cell = _torch_cell(spec)
    xt = torch.tensor(x, dtype=torch.float64)
    h = torch.zeros(1, H, dtype=torch.float64)
    if kind == "lstm":
        _, c0 = cell(xt[:1], (h, torch.zeros_like(h)))
        c0 = c0.detach().requires_grad_(True)
        state, start = (h, c0), c0
        for t in range(1, T):
            state = cell(xt[t:t + 1], state)
        out = state[1]
    else:
        h0 = cell(xt[:1], h).detach().requires_grad_(True)
        out, start = h0, h0
        for t in range(1, T):
            out = cell(xt[t:t + 1], out)
    for u in range(H):
        (grad,) = torch.autograd.grad(out[0, u], start, retain_graph=True)
        np.testing.assert_allclose(grad[0].numpy(), np.eye(H)[u] * P[T - 1, u], atol=1e-9)


@pytest.mark.parametrize("kind", gc.KINDS)
@pytest.mark.parametrize("H", [1, 2, 3])
def test_sentiment_unit_goes_up_on_love_down_on_hate_and_keeps_it(kind, H):
    from core import tiny_rnn as tr
    blocks = {g: {p: np.asarray(a, float)[:H, :2] if p == "W_x" else
                  (np.asarray(a, float)[:H, :H] if p == "W_h" else np.asarray(a, float)[:H])
                  for p, a in gc.DEFAULT_WEIGHTS[kind][g].items()} for g in gc.GATES[kind]}
    spec = gc.GatedSpec.from_gates(kind, gc.blocks_with_unit(kind, blocks, gc.SENTIMENT_UNIT[kind]))
    seq = tr.preset_input("love/hate", len(tr.SENTIMENT_SENTENCE), 2)
    assert "love" in seq.words and "hate" in seq.words
    rec = gc.run_gated(spec, seq.x)
    s = rec.c[:, 0] if kind == "lstm" else rec.h[:, 0]  # the unit's memory
    before = np.concatenate([[0.0], s[:-1]])
    for w, now, prev in zip(seq.words, s, before):
        if w == "love":  # up (a GRU's h cannot pass 1: near it, it stays there)
            assert now > prev + 0.1 or (kind == "gru" and now > max(prev, 0.9)), (w, prev, now)
        elif w == "hate":
            assert now < prev - 0.1 or (kind == "gru" and now < min(prev, -0.9)), (w, prev, now)
        else:  # a neutral word: the memory holds
            assert abs(now - prev) < 0.05 * max(1.0, abs(prev)), (w, prev, now)
    # the forget / update gate is near 1 on neutral words: the direct path keeps the gradient
    neutral = [i for i, w in enumerate(seq.words) if w not in ("love", "hate")]
    assert rec.direct[neutral, 0].min() > 0.97
