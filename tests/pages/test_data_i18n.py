"""The Data page in Korean: after an upload the summary, notes, preparation, tables, figures and
messages are Korean; error messages of model and settings files are translated, and English
messages come out of the catalogue exactly as core wrote them."""
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from core.datasets import dataset_task, load_dataset
from core.export import ExportError, import_model, read_settings
from explorer.app.settings import DEFAULTS
from explorer.views import data_text as DT
from explorer.views import data_held_out as HO
from explorer.jobs import run_files as RF
from explorer.app import state
from explorer.app.i18n import text
from tests.i18n_check import has_hangul, untranslated_ko
from tests.pages.conftest import chart_specs, press
from tests.pages.test_data import series_csv, ucr, upload
from tests.pages.test_i18n_pages import open_in, page_texts

PAGE = "pages/data.py"


def korean_csv(T=120) -> bytes:
    df = pd.DataFrame({"날짜": pd.date_range("2021-01-01", periods=T), "기온": np.round(np.sin(np.arange(T) / 7), 4),
                       "강수": np.round(np.cos(np.arange(T) / 5), 4)})
    return df.to_csv(index=False).encode()


def frame_headers(at) -> list[str]:
    return [str(c) for d in at.dataframe for c in d.value.columns]


def test_upload_in_korean_has_no_untranslated_text():
    at = open_in(PAGE, "ko")
    upload(at, state.DATA_FILE, "날씨.csv", korean_csv())
    assert not at.exception and not at.error, [e.value for e in at.error]
    ds = at.session_state[state.DATASETS]["날씨"]["dataset"]
    assert ds.kind == "series" and len(ds.notes) >= 2
    texts = page_texts(at)
    assert [s for s in texts if untranslated_ko(s)] == []
    # every note, row and table header on its own (a markdown list passes as a whole when one line is Korean)
    assert [n for n in ds.notes if not has_hangul(DT.note_text(n, "ko"))] == []
    md = " ".join(m.value for m in at.markdown)
    assert "**형식:** csv_series (시계열)" in md and "**시간 축:** 2021-01-01 ~ 2021-04-30" in md
    assert "1번 열 ('날짜')을(를) 시간 축(날짜)으로 썼습니다" in md
    ref = dataset_task(ds, window=50, val_fraction=0.2)
    assert f"**학습 구간 길이:** {ref.params['split']:,} (창: {ref.params['n_train_windows']:,}개)" in md
    assert "**과제:** 기온, 강수 예측: 날씨 (다대다, 손실 MSE)" in md
    assert [h for h in frame_headers(at) if untranslated_ko(h)] == []
    assert {"채널", "최솟값", "시간", "학습 평균"} <= set(frame_headers(at))
    assert [b.label for b in at.get("download_button")][:1] == ["HTML로 내려받기"]
    at.number_input(key=state.DATA_WINDOW).set_value(5)
    at.run()
    spec = chart_specs(at)[0]
    assert spec["layout"]["annotations"][0]["text"] == "창: 5단계 입력, 1단계 뒤 예측 (빨강)"
    # messages after actions: a window too long for the data, then a file that cannot be read
    at.number_input(key=state.DATA_WINDOW).set_value(900)
    at.run()
    assert not at.exception and len(at.error) == 1 and has_hangul(at.error[0].value), [e.value for e in at.error]
    at.number_input(key=state.DATA_WINDOW).set_value(50)
    at.run()
    upload(at, state.DATA_FILE, "broken.csv", b"a,b\n1,2\n3,x\n4,5\n")
    assert not at.exception and len(at.error) == 1
    assert at.error[0].value.endswith(" (앞서 불러온 데이터는 그대로 남아 있습니다.)") and "broken.csv" in at.error[0].value
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
    # switching back to English gives the English page, figures included
    at.session_state["lang"] = "en"
    at.run()
    assert chart_specs(at)[0]["layout"]["title"]["text"] == "날씨: the series and the first window"
    assert "**Format:** csv_series (series)" in " ".join(m.value for m in at.markdown)


def test_labelled_upload_with_test_file_and_bad_model_in_korean():
    at = open_in(PAGE, "ko")
    upload(at, state.DATA_FILE, "파형_TRAIN.tsv", ucr(60, 0))
    upload(at, state.DATA_TEST_FILE, "파형_TEST.tsv", ucr(30, 1))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []
    md = " ".join(m.value for m in at.markdown)
    assert "**검증 시퀀스:** 12 (층화 분할, 클래스마다 20%)" in md  # carved from the training file
    assert "**테스트:** 30 (테스트 파일 '파형_TEST'; 채점만 하고 최적 단계를 고르는 데는 쓰지 않음)" in md
    bars = [s for s in chart_specs(at) if s["data"][0]["type"] == "bar"][0]
    assert [t["name"] for t in bars["data"]] == ["학습 파일", "테스트 파일"]
    assert [h for h in frame_headers(at) if untranslated_ko(h)] == []
    # a series as the test file of labelled data: a Korean message
    upload(at, state.DATA_TEST_FILE, "series.csv", series_csv(60))
    assert any(e.value.startswith("테스트 파일: 테스트 파일 'series'은(는) 시계열 데이터") for e in at.error)
    # a file that is no model: the message and the reason are Korean
    upload(at, state.DATA_MODEL_FILE, "rnn_model.zip", b"not a model")
    press(at, state.DATA_BTN_LOAD_MODEL)
    assert not at.exception
    errs = [e.value for e in at.error]
    assert any(e.startswith("이 앱이 불러올 수 있는 모델이 아닙니다: 가중치 파일이 safetensors") for e in errs), errs
    assert [s for s in page_texts(at) if untranslated_ko(s)] == []


def test_settings_messages_follow_the_language():
    at = open_in(PAGE, "ko")
    s = RF.lab_settings(lambda k: at.session_state[k])
    upload(at, state.DATA_SETTINGS_FILE, "s.json", RF.settings_bytes(s.__class__(**{**s.__dict__, "hidden": 48})))
    press(at, state.DATA_BTN_LOAD_SETTINGS)
    assert [e.value for e in at.error] == ["이 앱이 쓸 수 있는 설정 파일이 아닙니다: 설정 'hidden' = 48은(는) 학습 실험실에서 "
                                           "고를 수 없는 값입니다. 가능한 값: (2, 4, 8, 16, 32, 64, 128, 256, 512)"]
    at.session_state["lang"] = "en"
    at.run()  # the stored message is shown in the new language
    assert [e.value for e in at.error] == ["Not a settings file this app can use: setting 'hidden' = 48 is not one "
                                           "the Training lab offers: (2, 4, 8, 16, 32, 64, 128, 256, 512)"]
    upload(at, state.DATA_SETTINGS_FILE, "s.json", RF.settings_bytes(s.__class__(**{**s.__dict__, "hidden": 64})))
    at.session_state["lang"] = "ko"
    press(at, state.DATA_BTN_LOAD_SETTINGS)
    assert [m.value for m in at.success] == [f"학습 실험실이 이제 이 설정을 보여 줍니다 ({s.task}, {s.kind.upper()} H=64). "
                                             "그곳에서 학습을 누르세요."]


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for k, v in members.items():
            z.writestr(k, v)
    return buf.getvalue()


SCHEMA = {"a": int, "b": str}
# An empty but well-formed safetensors file, so that the config's own errors are the ones reached.
_ST = b"\x02\x00\x00\x00\x00\x00\x00\x00{}"
BAD_MODELS = [b"", b"PK\x03\x04junk", _zip({"x.txt": b"1"}), _zip({}), b"\x10\x00\x00\x00\x00\x00\x00\x00{}" + b" " * 16,
              b"\x02\x00\x00\x00\x00\x00\x00\x00{}", b"\x05\x00\x00\x00\x00\x00\x00\x00[1,2]",
              _zip({"model.safetensors": b"\x02\x00\x00\x00\x00\x00\x00\x00{}", "config.json": b"\xff"}),
              _zip({"model.safetensors": _ST, "config.json": b"{oops"}),
              _zip({"model.safetensors": _ST, "config.json": json.dumps({"format": "x"})}),
              _zip({"model.safetensors": _ST, "config.json": json.dumps({"format": "rnn-explorer-model"})}),
              _zip({"model.safetensors": _ST, "config.json": json.dumps(
                  {"format": "rnn-explorer-model", "model": {"kind": "tcn", "input_size": 1, "hidden_size": 2,
                                                             "output_size": 1}})}),
              _zip({"model.safetensors": _ST, "config.json": json.dumps(
                  {"format": "rnn-explorer-model", "model": {"kind": "rnn", "input_size": 0, "hidden_size": 2,
                                                             "output_size": 1}})}),
              _zip({"model.safetensors": _ST, "config.json": json.dumps(
                  {"format": "rnn-explorer-model", "model": {"kind": "rnn", "size": 1}})})]
BAD_SETTINGS = [b"[]", json.dumps({"format": "nope"}).encode(), json.dumps({"format": "rnn-explorer-settings"}).encode(),
                json.dumps({"format": "rnn-explorer-settings", "settings": {"a": 1}}).encode(),
                json.dumps({"format": "rnn-explorer-settings", "settings": {"a": 1.5, "b": "x"}}).encode()]


def _errors():
    for data in BAD_MODELS:
        with pytest.raises(ExportError) as e:
            import_model(data)
        yield e.value
    for data in BAD_SETTINGS:
        with pytest.raises(ExportError) as e:
            read_settings(data, SCHEMA)
        yield e.value


def test_export_errors_translate_and_english_is_core_text():
    errs = list(_errors())
    keys = {e.key for e in errs}
    assert len(keys) >= 15 and None not in keys
    for e in errs:
        assert DT.export_error_text(e, "en") == str(e)
        ko = DT.export_error_text(e, "ko")
        assert has_hangul(ko) and ko != str(e), (e.key, ko)


def test_notes_and_settings_errors_in_korean():
    notes = ["read the .txt file as a numeric table", "detected format csv_wide (first column named 'label')",
             "detected format csv_long (a 'sequence_id' column)", "used row 1 as the header",
             "read ',' as the decimal mark", "dropped column 1: a row index (0, 1, 2, ...), not data",
             "dropped empty column 4", "used column 2 as the time axis", "interpolated 3 gaps linearly",
             "5 gaps kept as NaN (not interpolated): masked as targets", "sorted the rows by time",
             "rows ending in empty cells are shorter sequences", "sorted the rows of each sequence by t",
             "X without y: one series", "120 characters, 17 distinct"]
    for n in notes:
        assert DT.note_text(n, "en") == n
        assert has_hangul(DT.note_text(n, "ko")) and not untranslated_ko(DT.note_text(n, "ko")), n
    assert DT.note_text("detected format csv_wide (first column named 'label')", "ko") == \
        "형식 csv_wide(으)로 감지했습니다 (첫 열의 이름이 'label')"
    # the notes core writes today are all known
    ds = load_dataset(b"idx,label,a,b,c\n0,1,1,2,3\n1,2,4,5,6\n2,1,7,8,9\n3,2,1,1,\n", "w.csv")
    assert [n for n in ds.notes if not has_hangul(DT.note_text(n, "ko"))] == []
    s = RF.lab_settings({state.DEVICE: "cpu", **{k: DEFAULTS[k] for k in RF.LAB_KEYS.values()}}.get)
    for change in ({"task": "upload:nothing"}, {"layers": 9}, {"kind": "tcn"}):
        with pytest.raises(ExportError) as e:
            RF.check_settings(s.__class__(**{**s.__dict__, **change}), {})
        assert DT.export_error_text(e.value, "en") == str(e.value)
        assert has_hangul(DT.export_error_text(e.value, "ko"))


def test_held_out_cards_in_korean():
    r = HO.HeldOut("x", True, 30, "accuracy", 0.5, 0.8, 1.1, 1 / 3, 7)
    cards, note = HO.held_out_cards(r, "ko")
    assert cards[0] == ("테스트 파일의 정확도 (30)", "80.0%", "46.7% (기준선 대비)")
    assert note.startswith("학습 단계 7의 모델입니다")
    cards, note = HO.held_out_cards(r, "en")
    assert cards[0] == ("accuracy on the test file (30)", "80.0%", "46.7% vs baseline")
    assert text("data.mode.forecast", "ko") == "매 단계 예측 (다대다)"
