"""Sequence models: a fused torch recurrent module (``model.rnn``) plus a readout head.

Heads give the lecture note's input/output structures:
- ``per_step``: y_t = W_hy h_t + b_y at every step (many-to-many synced; one-to-many when the
  task feeds its one input at t = 0 and zeros after).
- ``last``: one output from the final state (many-to-one; one-to-one with T = 1).
- ``attention``: additive (Bahdanau) attention over all states, queried by the final state.
- ``encoder_decoder``: a second recurrent module of the same kind, started from the encoder's
  final state, emits ``out_steps`` outputs (unsynced many-to-many).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import Tensor, nn

from .unroll import unroll

MODEL_KINDS = ("rnn", "lstm", "gru")
NONLINEARITIES = ("tanh", "relu", "linear")
HEADS = ("per_step", "last", "attention", "encoder_decoder")
RECURRENT_INITS = ("random", "orthogonal", "identity")


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild a model (saved beside exported weights)."""

    kind: str  # "rnn", "lstm" or "gru"
    input_size: int  # F, features per step
    hidden_size: int  # H, units per layer and direction
    output_size: int  # O, outputs per prediction (classes for classification)
    num_layers: int = 1  # stacked recurrent layers, 1 to 3
    nonlinearity: str = "tanh"  # vanilla RNN activation: "tanh", "relu" or "linear"
    bidirectional: bool = False  # add a backward-in-time chain
    head: str = "per_step"  # one of HEADS
    out_steps: int | None = None  # encoder_decoder: outputs to emit (None: as many as inputs)
    spectral_radius: float | None = None  # rescale each H x H block of W_hh to this radius
    recurrent_init: str = "random"  # W_hh blocks with a radius: "random" (Gaussian), "orthogonal", "identity"
    seed: int | None = None  # initialisation seed (None: 0)
    forget_bias: float | None = None  # LSTM: initial forget-gate bias b_if + b_hf (None: torch's uniform draw)


class LinearRNN(nn.RNN):
    """A vanilla RNN with the identity activation, h_t = W_ih x_t + W_hh h_{t-1} + b.

    torch has no fused kernel for it, so forward runs the unrolled loop; the weight layout is
    ``nn.RNN``'s, so everything else (trace, export) treats it like one.
    """

    def __init__(self, *args, **kwargs):
        kwargs["nonlinearity"] = "tanh"
        super().__init__(*args, **kwargs)
        self.nonlinearity = "linear"

    def forward(self, x, hx=None):  # noqa: D401 - same contract as nn.RNN (batch_first only)
        packed = isinstance(x, nn.utils.rnn.PackedSequence)
        lengths = None
        if packed:
            x, lengths = nn.utils.rnn.pad_packed_sequence(x, batch_first=True)
        u = unroll(self, x, lengths, h0=hx, keep=False)
        out = u.output_btd
        if packed:
            out = nn.utils.rnn.pack_padded_sequence(out, lengths, batch_first=True, enforce_sorted=False)
        return out, u.h_n


_RNN_CLASSES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _make_rnn(kind: str, input_size: int, hidden_size: int, num_layers: int,
              nonlinearity: str, bidirectional: bool) -> nn.RNNBase:
    common = dict(num_layers=num_layers, batch_first=True, bidirectional=bidirectional)
    if kind == "rnn":
        if nonlinearity == "linear":
            return LinearRNN(input_size, hidden_size, **common)
        return nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, **common)
    return _RNN_CLASSES[kind](input_size, hidden_size, **common)


class AttentionHead(nn.Module):
    """Additive attention: score_t = v . tanh(W_a o_t + U_a q), y = W_y [context; q] + b."""

    def __init__(self, state_size: int, output_size: int, attn_size: int = 32):
        super().__init__()
        self.keys = nn.Linear(state_size, attn_size)
        self.query = nn.Linear(state_size, attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)
        self.out = nn.Linear(2 * state_size, output_size)

    def attend(self, out_btd: Tensor, q_bd: Tensor, mask_bt: Tensor | None = None):
        """Returns (y (B, O), weights (B, T))."""
        scores_bt = self.v(torch.tanh(self.keys(out_btd) + self.query(q_bd)[:, None])).squeeze(-1)
        if mask_bt is not None:
            scores_bt = scores_bt.masked_fill(~mask_bt, float("-inf"))
        a_bt = torch.softmax(scores_bt, dim=-1)
        ctx_bd = (a_bt[..., None] * out_btd).sum(1)
        return self.out(torch.cat([ctx_bd, q_bd], dim=-1)), a_bt


class SeqModel(nn.Module):
    """A recurrent module ``rnn`` (batch_first, fused) followed by a head.

    ``forward(x (B, T, F), lengths (B,) or None)`` returns (B, T, O) for per-step heads,
    (B, O) for ``last``/``attention`` and (B, out_steps, O) for ``encoder_decoder``.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = self.config = config
        self.rnn = _make_rnn(c.kind, c.input_size, c.hidden_size, c.num_layers, c.nonlinearity,
                             c.bidirectional)
        D = 2 if c.bidirectional else 1
        state = D * c.hidden_size
        if c.head in ("per_step", "last"):
            self.readout = nn.Linear(state, c.output_size)
        elif c.head == "attention":
            self.readout = AttentionHead(state, c.output_size)
        elif c.head == "encoder_decoder":
            # The decoder reads a constant "go" input; all it knows comes from the encoder state.
            self.decoder = _make_rnn(c.kind, 1, c.hidden_size, c.num_layers, c.nonlinearity, False)
            self.readout = nn.Linear(c.hidden_size, c.output_size)
        else:
            raise ValueError(f"unknown head {c.head!r}; choose one of {HEADS}")

    @property
    def kind(self) -> str:
        return self.config.kind

    def encode(self, x_btf: Tensor, lengths_b: Tensor | None = None):
        """Fused pass: returns (out (B, T, D*H), h_n (L*D, B, H), c_n or None)."""
        if lengths_b is not None:
            lengths_cpu = lengths_b.cpu()  # packing reads them on the CPU (Trainer batches keep them there)
            # sorted (as Trainer batches are): no index copies to the device, which would wait on it
            ordered = bool((lengths_cpu[:-1] >= lengths_cpu[1:]).all())
            packed = nn.utils.rnn.pack_padded_sequence(x_btf, lengths_cpu, batch_first=True,
                                                       enforce_sorted=ordered)
            out, hn = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x_btf.shape[1])
        else:
            out, hn = self.rnn(x_btf)
        h_n, c_n = hn if isinstance(hn, tuple) else (hn, None)
        return out, h_n, c_n

    def head_forward(self, out_btd: Tensor, h_n: Tensor, c_n: Tensor | None,
                     lengths_b: Tensor | None = None, n_steps: int | None = None):
        """Apply the head to encoder results. Returns (y, attention (B, T) or None)."""
        c = self.config
        D = 2 if c.bidirectional else 1
        last_bd = torch.cat([h_n[-D + d] for d in range(D)], dim=-1) if D == 2 else h_n[-1]
        if c.head == "per_step":
            return self.readout(out_btd), None
        if c.head == "last":
            return self.readout(last_bd), None
        if c.head == "attention":
            mask = None
            if lengths_b is not None:
                T = out_btd.shape[1]
                len_b = lengths_b.to(out_btd.device, non_blocking=True)
                mask = torch.arange(T, device=out_btd.device)[None] < len_b[:, None]
            return self.readout.attend(out_btd, last_bd, mask)
        # encoder_decoder: sum the directions of each layer into the decoder's initial state
        B = out_btd.shape[0]
        L, H = c.num_layers, c.hidden_size
        h0 = h_n.view(L, D, B, H).sum(1)
        steps = c.out_steps or n_steps or out_btd.shape[1]
        go = out_btd.new_ones(B, steps, 1)
        if c.kind == "lstm":
            dec, _ = self.decoder(go, (h0.contiguous(), c_n.view(L, D, B, H).sum(1).contiguous()))
        else:
            dec, _ = self.decoder(go, h0.contiguous())
        return self.readout(dec), None

    def forward(self, x_btf: Tensor, lengths_b: Tensor | None = None) -> Tensor:
        if lengths_b is not None and self._runs_padded():
            return self._forward_padded(x_btf, lengths_b)
        out, h_n, c_n = self.encode(x_btf, lengths_b)
        y, _ = self.head_forward(out, h_n, c_n, lengths_b, n_steps=x_btf.shape[1])
        return y

    def _runs_padded(self) -> bool:
        """Whether variable lengths may skip packing: a forward-only model is causal (no valid
        step depends on the padding after it) and reads only the top layer's outputs; its state
        stays bounded through the padding (tanh cells, not the linear or ReLU RNN)."""
        c = self.config
        return (not c.bidirectional and c.head != "encoder_decoder"
                and (c.kind != "rnn" or c.nonlinearity == "tanh"))

    def _forward_padded(self, x_btf: Tensor, lengths_b: Tensor) -> Tensor:
        """``forward`` for variable lengths without packing: the fused kernel runs the padded batch
        whole (a packed LSTM runs several times slower on the CPU; bench/engine.py --varlen), the
        padding's outputs are zeroed as packing would leave them, and each sequence's last state
        is read at its own end. Equals the packed pass (tests/core/test_no_host_sync.py)."""
        B, T = x_btf.shape[:2]
        out_btd, _ = self.rnn(x_btf)
        len_b = lengths_b.to(out_btd.device, non_blocking=True)
        valid_bt = torch.arange(T, device=out_btd.device)[None] < len_b[:, None]
        out_btd = out_btd * valid_bt[..., None]
        last_bd = out_btd[torch.arange(B, device=out_btd.device), (len_b - 1).clamp(min=0)]
        y, _ = self.head_forward(out_btd, last_bd[None], None, lengths_b, n_steps=T)
        return y

    def unrolled_encode(self, x_btf: Tensor, lengths_b: Tensor | None = None):
        """The step-by-step twin of ``encode`` (same parameters); returns the ``Unrolled`` record."""
        return unroll(self.rnn, x_btf, lengths_b)


def _init_(model: SeqModel, gen: torch.Generator, spectral_radius: float | None, recurrent_init: str) -> None:
    """torch's default ranges, drawn from ``gen`` so a seed fixes the model without global RNG."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith(("rnn.", "decoder.")):
                k = 1.0 / math.sqrt(model.config.hidden_size)
            else:
                k = 1.0 / math.sqrt(p.shape[-1]) if p.dim() > 1 else 0.1
            p.copy_(torch.empty(p.shape).uniform_(-k, k, generator=gen))
        if spectral_radius is not None:
            set_spectral_radius_(model.rnn, spectral_radius, gen, recurrent_init)
        if model.config.forget_bias is not None:
            set_forget_bias_(model.rnn, model.config.forget_bias)


def set_forget_bias_(rnn: nn.RNNBase, value: float) -> None:
    """Start every LSTM forget gate at sigmoid(``value``): b_if = value, b_hf = 0 (gate order i, f, g, o).

    A positive bias (1 to 2; Gers et al. 2000, Jozefowicz et al. 2015) keeps the forget gate
    open at the start of training, so the cell state carries information, and its gradient, across
    many steps before the network has learned to hold it. With torch's small uniform biases the
    gate starts near 0.5 and a cell state halves every step: on long-lag tasks the LSTM then sits on
    a plateau at chance.
    """
    if not isinstance(rnn, nn.LSTM):
        raise ValueError("forget_bias applies to LSTM cells only")
    H = rnn.hidden_size
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if name.startswith("bias_ih"):
                p[H:2 * H] = float(value)
            elif name.startswith("bias_hh"):
                p[H:2 * H] = 0.0


def set_spectral_radius_(rnn: nn.RNNBase, radius: float, gen: torch.Generator | None = None,
                         init: str = "random") -> None:
    """Set every H x H block of every W_hh to a matrix of spectral radius ``radius``.

    "random": a Gaussian N(0, 1/H) matrix, whose eigenvalues fill the unit disc (circular law),
    rescaled by its measured radius. "orthogonal": radius times an orthogonal matrix (every
    eigenvalue and singular value has modulus ``radius``). "identity": radius times I (Le et al.
    2015's IRNN; with ReLU the active units then grow or shrink exactly by ``radius`` a step).
    """
    if init not in RECURRENT_INITS:
        raise ValueError(f"unknown recurrent_init {init!r}; choose one of {RECURRENT_INITS}")
    H = rnn.hidden_size
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            if not name.startswith("weight_hh"):
                continue
            for g in range(p.shape[0] // H):
                m = torch.randn(H, H, generator=gen, dtype=torch.float64) / math.sqrt(H)
                if init == "orthogonal":
                    m, r = torch.linalg.qr(m)
                    m = m * torch.sign(torch.diagonal(r))[None]
                elif init == "identity":
                    m = torch.eye(H, dtype=torch.float64)
                rho = torch.linalg.eigvals(m).abs().max()
                p[g * H:(g + 1) * H] = (m * (radius / rho)).to(p.dtype)


def build_model(kind: str, input_size: int, hidden_size: int, output_size: int, *,
                num_layers: int = 1, nonlinearity: str = "tanh", bidirectional: bool = False,
                head: str = "per_step", out_steps: int | None = None,
                spectral_radius: float | None = None, recurrent_init: str = "random",
                seed: int | None = None, forget_bias: float | None = None) -> SeqModel:
    """Build a sequence model; see ``ModelConfig`` for the arguments.

    Returns:
        a ``SeqModel`` on the CPU whose recurrent weights are ``model.rnn``.
    """
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {MODEL_KINDS}")
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; choose one of {NONLINEARITIES}")
    if kind != "rnn":
        nonlinearity = "tanh"  # gated cells have fixed activations
    if not 1 <= num_layers <= 3:
        raise ValueError("num_layers must be 1, 2 or 3")
    if recurrent_init not in RECURRENT_INITS:
        raise ValueError(f"unknown recurrent_init {recurrent_init!r}; choose one of {RECURRENT_INITS}")
    if forget_bias is not None and kind != "lstm":
        raise ValueError("forget_bias applies to LSTM cells only")
    cfg = ModelConfig(kind, int(input_size), int(hidden_size), int(output_size), int(num_layers),
                      nonlinearity, bool(bidirectional), head, out_steps,
                      None if spectral_radius is None else float(spectral_radius), recurrent_init, seed,
                      None if forget_bias is None else float(forget_bias))
    model = SeqModel(cfg)
    gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
    _init_(model, gen, cfg.spectral_radius, recurrent_init)
    return model


def model_from_config(cfg: ModelConfig | dict) -> SeqModel:
    """Rebuild a model from a ``ModelConfig`` or its dict (as saved in exported JSON)."""
    d = asdict(cfg) if isinstance(cfg, ModelConfig) else dict(cfg)
    return build_model(d.pop("kind"), d.pop("input_size"), d.pop("hidden_size"),
                       d.pop("output_size"), **d)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
