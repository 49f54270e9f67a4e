

def test_forget_bias_sets_the_lstm_forget_gate_and_survives_export():
    from dataclasses import asdict

    import pytest
    import torch

    from core.models import build_model, model_from_config
    m = build_model("lstm", 3, 8, 2, num_layers=2, forget_bias=2.0, seed=1)
    for layer in range(2):
        b_ih = getattr(m.rnn, f"bias_ih_l{layer}")
        b_hh = getattr(m.rnn, f"bias_hh_l{layer}")
        total = (b_ih + b_hh).detach()
        assert torch.allclose(total[8:16], torch.full((8,), 2.0))
        assert not torch.allclose(total[:8], torch.full((8,), 2.0))  # other gates keep their draw
    twin = build_model("lstm", 3, 8, 2, seed=1)
    assert not torch.allclose(twin.rnn.bias_ih_l0[8:16], torch.full((8,), 2.0))
    same = model_from_config(asdict(m.config))
    assert same.config.forget_bias == 2.0
    assert torch.allclose(same.rnn.bias_ih_l0, m.rnn.bias_ih_l0)
    with pytest.raises(ValueError):
        build_model("gru", 3, 8, 2, forget_bias=1.0)
