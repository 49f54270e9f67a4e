"""Shareable links: which keys travel, how values are written and read back, what is rejected."""
import pytest

from explorer.app import settings, state, urlstate
from explorer.app.settings import DEFAULTS, TABLES
from explorer.app.nav import PAGE_TABLE
from pathlib import Path

KEYS = urlstate.url_keys()
FREE_TEXT = {state.CELL_TYPED_INPUT, *state.CELL_TEXT.values(), *state.CELL_GATED_TEXT.values()}  # text boxes
NO_DOMAIN_OK = FREE_TEXT | {k for k in KEYS if isinstance(DEFAULTS[k], bool)}


def test_only_plain_persistent_settings_travel():
    assert state.LAB_KIND in KEYS and state.PRESENTER in KEYS and state.TOUR_STEP in KEYS and state.CELL_KIND in KEYS
    assert state.CELL_PLAYING not in KEYS and state.CELL_PLAY_TICK not in KEYS  # playing never travels in a link
    for k in (state.LAB_SIGNATURE, state.DATASETS, state.LAB_SCRUB, state.IO_RESULTS, state.GF_CLIP_RESULT,
              state.URL_LOADED, state.CMP_FINAL, state.DATA_WINDOW):
        assert k not in KEYS, k
    assert all(k in settings.PERSISTENT for k in KEYS)


def test_every_page_but_home_has_a_settings_table_under_one_name():
    # the Follow page (class mode) has no settings of its own: its one parameter, room, is RESERVED
    stems = {Path(row[1]).stem for row in PAGE_TABLE} - {"home", "follow"}
    assert stems | {"app"} == set(TABLES)
    for stem, table in TABLES.items():
        if stem == "app":
            continue
        prefixes = {s.key.split(".")[0] for s in table}
        assert len(prefixes) == 1, (stem, prefixes)  # one name per page: its keys share one prefix
        assert (stem == "data") != any(urlstate.page_keys(stem)), stem  # all but the Data page travel


def test_every_key_has_a_domain_unless_free_text_or_yes_no():
    doms = urlstate.domains(KEYS)
    missing = [k for k in KEYS if k not in doms and k not in NO_DOMAIN_OK]
    assert not missing
    for k, d in doms.items():  # the default itself must be accepted
        assert settings.accepts(k, DEFAULTS[k]), k


@pytest.mark.parametrize("key", KEYS)
def test_defaults_round_trip_through_text(key):
    d = DEFAULTS[key]
    assert urlstate.decode(key, urlstate.encode(key, d)) == d


def test_values_round_trip_exactly():
    cases = {state.LAB_LR: 3e-4, state.GF_RHO: 0.75, state.DYN_SENS_DELTA: 1e-9, state.LAB_BIDIR: True,
             state.LAB_SEED: 2**31 - 1, state.GF_CELLS: ["lstm", "gru"], state.CMP_TASK: "temporal_order"}
    good, bad = urlstate.parse_params({k: urlstate.encode(k, v) for k, v in cases.items()})
    assert not bad and good == cases


def test_a_former_preset_name_in_a_link_opens_its_successor():
    good, bad = urlstate.parse_params({state.CMP_PRESET: "delayed_recall_24"})
    assert not bad and good == {state.CMP_PRESET: "delayed_recall_30"}
    good, bad = urlstate.parse_params({state.CMP_PRESET: "delayed_recall_30", state.CMP_TASK: "delayed_recall_24"})
    assert good == {state.CMP_PRESET: "delayed_recall_30"}  # only the preset key knows the old names
    assert [b.split("=")[0] for b in bad] == [state.CMP_TASK]
    _, bad = urlstate.parse_params({state.CMP_PRESET: "delayed_recall_23"})
    assert [b.split("=")[0] for b in bad] == [state.CMP_PRESET]


def test_bad_values_are_rejected_with_a_reason_and_lang_is_a_setting():
    good, bad = urlstate.parse_params({
        "lab.kind": "transformer", "lab.hidden": "33", "lab.seed": "abc", "lab.steps": "1.5",
        "gradient_flow.cells": "rnn,mamba", "presenter": "maybe", "lab.signature": "x", "nonsense": "1",
        "lab.layers": "3", "lang": "ko", "gradient_flow.radius": "inf"})
    assert good == {"lab.layers": 3, "lang": "ko"}  # the language travels in every link
    names = [b.split("=")[0].split(":")[0] for b in bad]
    assert sorted(names) == sorted(["lab.kind", "lab.hidden", "lab.seed", "lab.steps", "gradient_flow.cells",
                                    "presenter", "lab.signature", "nonsense", "gradient_flow.radius"])


def test_numbers_outside_a_widgets_range_are_rejected():
    good, bad = urlstate.parse_params({"lab.seq_len": "1001", "lab.probe_every": "0", "cell.W_hh.0.0": "-3.0"})
    assert good == {"cell.W_hh.0.0": -3.0} and len(bad) == 2


def test_a_float_read_back_is_the_widgets_own_option():
    good, _ = urlstate.parse_params({"lab.lr": "0.0030000000000000001", "gradient_flow.radius": "0.75"})
    assert good["lab.lr"] == 3e-3 and good["gradient_flow.radius"] == 0.75


def test_params_hold_only_non_defaults_of_the_page_and_the_globals():
    values = dict(DEFAULTS)
    values.update({state.LAB_KIND: "gru", state.LAB_SEED: 5, state.PRESENTER: True, state.GF_RHO: 2.0,
                   state.TOUR_STEP: 3})
    assert urlstate.params_for("training_lab", values) == {
        "lab.kind": "gru", "lab.seed": "5", "presenter": "1", "tour.step": "3"}
    assert urlstate.params_for("gradient_flow", values) == {
        "gradient_flow.radius": "2.0", "presenter": "1", "tour.step": "3"}
    assert urlstate.params_for("", values) == {"presenter": "1", "tour.step": "3"}  # home: globals only
    assert urlstate.params_for("training_lab", dict(DEFAULTS)) == {}


def test_reasons_come_in_the_requested_language():
    from tests.i18n_check import has_hangul, untranslated_ko
    params = {"lab.seed": "abc", "lab.steps": "1.5", "presenter": "maybe", "nonsense": "1", "lab.kind": "x",
              "lang": "xx"}
    _, en = urlstate.parse_params(params)
    _, ko = urlstate.parse_params(params, "ko")
    assert len(en) == len(ko) == 6  # an unknown language is refused like any other value
    assert "lab.seed=abc: 'abc' is not a number" in en and "lab.steps=1.5: '1.5' is not a whole number" in en
    assert "nonsense: not a setting that links can carry" in en
    assert not any(has_hangul(b) for b in en)
    reasons = [b.split(": ", 1)[1] for b in ko]
    assert all(has_hangul(r) and not untranslated_ko(r) for r in reasons), reasons
    assert ko[0].startswith("lab.seed=abc: 'abc'")  # names and values stay as the link wrote them


def test_decode_errors_are_value_errors_with_english_text():
    with pytest.raises(ValueError, match="not a yes/no value"):
        urlstate.decode(state.PRESENTER, "maybe")
    with pytest.raises(ValueError, match="not a finite number"):
        urlstate.decode(state.LAB_LR, "nan")
