"""Validate, then allocate: crafted model and settings files are refused from their bytes, with a
short message, before any model is built or any weight is read."""
import io
import json
import struct
import zipfile

import pytest
import torch
from safetensors.torch import save as st_save

from core import build_model
from core import export as E
from core import models as M
from core.export import CONFIG_FILE, WEIGHTS_FILE, ExportError, export_model, import_model, model_config, read_settings
from core.export_checks import MAX_MESSAGE, ImportLimits, json_depth, zip_entries

APP = ImportLimits(max_hidden=512, max_layers=3, max_steps=1000)  # the limits the app passes


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


def _crafted(tiny_weights: bool = True, **model) -> bytes:
    """A zip whose config declares ``model`` and whose weights are those of a 1-unit GRU."""
    small = build_model("gru", 1, 1, 1, seed=0)
    cfg = model_config(small)
    cfg["model"].update(model)
    w = st_save({k: v.contiguous() for k, v in small.state_dict().items()})
    return _zip({WEIGHTS_FILE: w, CONFIG_FILE: json.dumps(cfg)})


@pytest.fixture
def nothing_allocated(monkeypatch):
    """Call it to fail the test from then on if an import reads weights or builds a model on the CPU."""
    def arm():
        def refuse(*a, **k):
            raise AssertionError("allocated before validating")
        monkeypatch.setattr(E, "st_load", refuse)
        real = M.SeqModel.__init__

        def meta_only(self, config):
            if torch.empty(0).device.type != "meta":
                raise AssertionError("model built before validating")
            real(self, config)
        monkeypatch.setattr(M.SeqModel, "__init__", meta_only)
    return arm


def _refused(data, fragment, limits=E.LIMITS, config=None):
    with pytest.raises(ExportError) as e:
        import_model(data, config, limits=limits)
    msg = str(e.value)
    assert fragment in msg, msg
    assert len(msg) <= MAX_MESSAGE
    return e.value


def test_huge_declared_model_is_refused_from_the_header(nothing_allocated):
    data = _crafted(kind="lstm", hidden_size=4096, num_layers=3, bidirectional=True)
    assert len(data) < 2000
    nothing_allocated()
    e = _refused(data, "the weights do not fit the config's LSTM: missing ['rnn.bias_hh_l0_reverse'")
    assert e.key == "weights_mismatch"
    _refused(data, "hidden_size = 4096; it must be an integer from 1 to 512", APP)


def test_huge_input_and_output_sizes_are_refused_before_building(nothing_allocated):
    wide, wider = _crafted(input_size=100_000, output_size=100_000), _crafted(input_size=100_001)
    nothing_allocated()
    e = _refused(wide, "the config needs (3, 100000)")
    assert e.params["need"] == "(3, 100000)"
    _refused(wider, "input_size = 100001; it must be an integer from 1 to 100,000")


def test_out_steps_is_checked():
    _refused(_crafted(head="encoder_decoder", out_steps=100_000), "out_steps = 100000; it must be an integer from "
             "1 to 1,000", APP)
    _refused(_crafted(head="encoder_decoder", out_steps="many"), "out_steps = 'many'", APP)


@pytest.mark.parametrize("field,value,fragment", [
    ("num_layers", 2.5, "num_layers = 2.5"), ("num_layers", True, "num_layers = True"),
    ("bidirectional", "yes", "field 'bidirectional' = 'yes' is not a valid bool"),
    ("spectral_radius", "big", "field 'spectral_radius' = 'big' is not a valid float"),
    ("seed", "x", "field 'seed' = 'x' is not a valid int"), ("seed", 10**30, "is not a valid int"),
    ("nonlinearity", ["tanh"], "nonlinearity ['tanh'] is not one of"), ("kind", 3, "kind 3 is not one of"),
    ("forget_bias", 1.0, "forget_bias applies to LSTM cells only"),
])
def test_every_model_field_is_type_checked(field, value, fragment):
    _refused(_crafted(**{field: value}), fragment)


def test_deeply_nested_json_is_refused_before_parsing():
    deep = b'{"format": "rnn-explorer-model", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert json_depth(deep) == 100_001
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, {"c": 2}]}') == 3  # brackets inside strings do not count
    w = E.st_save({"w": torch.zeros(1)})
    e = _refused(w, "config.json nests 100,001 levels deep; at most 32 are accepted", config=deep)
    assert e.key == "json_deep"
    with pytest.raises(ExportError, match="the settings file nests"):
        read_settings(b'{"settings": ' + b"[" * 5000 + b"]" * 5000 + b"}", {"lr": float})


def test_a_zip_of_many_entries_is_refused_early_with_a_short_message():
    members = {f"f{i}": b"" for i in range(70_000)}  # past 65,535: the zip64 layout, as 450k entries have
    data = _zip(members)
    assert zip_entries(data) == 0xFFFF
    e = _refused(data, "the zip holds 65,535 entries; a model export holds 2")
    assert len(str(e)) < 200 and all(len(str(v)) <= 120 for v in e.params.values())
    assert zip_entries(_zip({f"f{i}": b"" for i in range(20)})) == 20
    _refused(_zip({f"f{i}": b"" for i in range(20)}), "the zip holds 20 entries")


def test_messages_and_quoted_values_are_clipped():
    names = {f"{'n' * 200}{i}": b"" for i in range(10)}  # few entries, long names
    e = _refused(_zip(names), "not 'model.safetensors'")
    assert all(len(str(v)) <= 120 for v in e.params.values())
    e = ExportError("x" * 10_000, "bad_zip", detail="y" * 10_000)
    assert len(str(e)) == MAX_MESSAGE and len(e.params["detail"]) == 120


def test_header_offsets_are_checked():
    good = E.st_save({"w": torch.zeros(4)})
    (n,) = struct.unpack("<Q", good[:8])
    head = json.loads(good[8:8 + n])
    head["w"]["shape"] = [400_000_000]  # a shape the bytes do not hold
    raw = json.dumps(head).encode()
    bad = struct.pack("<Q", len(raw)) + raw + good[8 + n:]
    with pytest.raises(ExportError, match="bytes do not fit the file"):
        E.header(bad, E.LIMITS)


def test_import_does_not_rescale_the_spectral_radius(monkeypatch):
    m = build_model("rnn", 2, 16, 1, num_layers=2, spectral_radius=0.9, seed=3)
    data = export_model(m)
    monkeypatch.setattr(M, "set_spectral_radius_", lambda *a, **k: (_ for _ in ()).throw(AssertionError("eig")))
    loaded = import_model(data)
    assert loaded.model.config.spectral_radius == 0.9
    for k, v in m.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[k], v)
    assert all(p.device.type == "cpu" and p.requires_grad for p in loaded.model.parameters())


@pytest.mark.parametrize("value,fragment", [
    ("64", "setting 'hidden' = '64' is not a valid int"), (10**400, "is not a valid int"),
    (1e300, "setting 'hidden' = 1e+300 is not a valid int"), (None, "setting 'hidden' = None"),
])
def test_wrong_types_in_settings_raise_export_error_only(value, fragment):
    data = json.dumps({"format": E.SETTINGS_FORMAT, "settings": {"hidden": value, "lr": 0.1}}).encode()
    with pytest.raises(ExportError) as e:
        read_settings(data, {"hidden": int, "lr": float})
    assert fragment in str(e.value) and len(str(e.value)) <= MAX_MESSAGE
    inf = b'{"format": "rnn-explorer-settings", "settings": {"hidden": 4, "lr": 1e400}}'
    with pytest.raises(ExportError, match="'lr' = inf is not a valid float"):
        read_settings(inf, {"hidden": int, "lr": float})
