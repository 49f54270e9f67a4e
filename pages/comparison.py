"""LSTM vs GRU vs RNN (lecture note section 7): the three cells trained side by side, live."""
import numpy as np
import streamlit as st

from explorer.shell import use_navigation_only

use_navigation_only()
from core.compare import CELLS, PRESETS, SweepSettings, sweep_point
from explorer import compare_views as V
from explorer import runtime, state
from explorer import widgets as W

ss = st.session_state
st.title("LSTM vs GRU vs RNN")
st.caption("Section 7 of the lecture note, measured (with section 6's vanishing gradient as the reason): "
           "the three cells trained on the same batches, from the same seed, with the same budget.")


def apply_preset():
    if ss[state.CMP_PRESET] in PRESETS:
        keys = dict(task=state.CMP_TASK, seq_len=state.CMP_SEQ_LEN, hidden=state.CMP_HIDDEN,
                    equal_params=state.CMP_EQUAL, lr=state.CMP_LR, batch_size=state.CMP_BATCH,
                    clip=state.CMP_CLIP, steps=state.CMP_STEPS)
        for f, v in V.preset_settings(ss[state.CMP_PRESET]).items():
            ss[keys[f]] = v


st.selectbox("Preset (a known result, with a pass/fail check)", [V.CUSTOM, *PRESETS], key=state.CMP_PRESET,
             on_change=apply_preset, format_func=lambda n: "Custom settings" if n == V.CUSTOM else PRESETS[n].title)
with st.expander("Settings", expanded=ss[state.CMP_PRESET] == V.CUSTOM):
    c1, c2, c3 = st.columns(3)
    with c1.container(border=True):
        W.task_controls(state.CMP_TASK, state.CMP_SEQ_LEN)
    with c2.container(border=True):
        st.select_slider("Hidden units H", [4, 8, 16, 32, 64, 128, 256], key=state.CMP_HIDDEN,
                         help="Of every cell; of the RNN when parameter counts are matched.")
        st.toggle("Equal parameter count", key=state.CMP_EQUAL,
                  help="Keep the RNN's H and choose the LSTM's and GRU's H (closest integer) so the three "
                       "models have about as many parameters as the RNN.")
        st.number_input("Steps (the same budget for each cell)", 50, 100_000, step=100, key=state.CMP_STEPS)
    with c3.container(border=True):
        st.select_slider("Learning rate (Adam)", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1], key=state.CMP_LR,
                         format_func=lambda v: f"{v:g}")
        a, b = st.columns(2)
        a.select_slider("Batch size", [8, 16, 32, 64, 128, 256], key=state.CMP_BATCH)
        b.number_input("Clip gradient norm (0 = off)", 0.0, 100.0, step=0.5, key=state.CMP_CLIP)
        st.number_input("Seed (data and initialisation)", 0, 2**31 - 1, key=state.CMP_SEED)

settings = V.PageSettings(ss[state.CMP_PRESET], ss[state.CMP_TASK], int(ss[state.CMP_SEQ_LEN]),
                          int(ss[state.CMP_HIDDEN]), bool(ss[state.CMP_EQUAL]), float(ss[state.CMP_LR]),
                          int(ss[state.CMP_BATCH]), float(ss[state.CMP_CLIP]), int(ss[state.CMP_SEED]),
                          int(ss[state.CMP_STEPS]), ss[state.DEVICE])
preset = V.active_preset(settings)
if preset is not None:
    st.info(f"**{preset.title}** ({preset.reference}). {preset.explanation}  \n"
            f"Pass if: {', '.join(c.describe(preset.build_task().metric) for c in preset.criteria)}, "
            f"measured on {2048:,} fixed held-out sequences after {preset.steps:,} steps.")
elif settings.preset in PRESETS:
    st.warning("The settings differ from the preset's: no pass/fail check. Pick the preset again to restore them.")
try:
    task = V.make_task(settings, ss[state.DATASETS])
    sizes = V.sizes(task, settings)
except (ValueError, RuntimeError) as e:
    st.error(f"Could not build this comparison: {e}")
    st.stop()
cols = st.columns(3)
for c, k in zip(cols, CELLS):
    c.metric(f"{V.FC.cell_name(k)}: parameters", f"{sizes[k][1]:,}")
    c.caption(f"hidden size H = {sizes[k][0]}")

board = runtime.session_jobs()
limiter = runtime.limiter()
jobs = {k: board.get(V.JOB_NAMES[k]) for k in CELLS}
have = all(j is not None for j in jobs.values())
stale = have and ss[state.CMP_SIGNATURE] != settings.signature()
b = st.columns([1.3, 1, 1, 3])
if b[0].button("Train all three", icon=":material/play_arrow:", type="primary", key="compare.train",
               use_container_width=True, help="Start (or resume) the three runs, each in its own job."):
    if not have or stale:
        jobs = V.make_jobs(settings, task, limiter)
        for k, j in jobs.items():
            board.put(V.JOB_NAMES[k], j)
        ss[state.CMP_SIGNATURE] = settings.signature()
        ss[state.CMP_FINAL] = {}
        have, stale = True, False
    for j in jobs.values():
        j.start()
if b[1].button("Pause", icon=":material/pause:", key="compare.pause", use_container_width=True, disabled=not have):
    for j in jobs.values():
        j.pause()
if b[2].button("Reset", icon=":material/restart_alt:", key="compare.reset", use_container_width=True,
               disabled=not have):
    for k in CELLS:
        board.remove(V.JOB_NAMES[k])
    ss[state.CMP_SIGNATURE], ss[state.CMP_FINAL], have = None, {}, False
if stale:
    b[3].info("Settings changed: **Train all three** starts a new comparison.")
if not have:
    st.info(f"Press **Train all three**. This server trains {limiter.limit} job(s) at once: "
            "a cell that waits for a free core says so.")
    st.stop()

task = jobs["rnn"].trainer.task
active0 = any(j.snapshot().active for j in jobs.values())


@st.fragment(run_every=0.5 if active0 else None)
def live():
    snaps = {k: j.snapshot() for k, j in jobs.items()}
    cols = st.columns(3)
    for c, (k, s) in zip(cols, snaps.items()):
        with c.container(border=True):
            st.markdown(f"**{V.FC.cell_name(k)}** · H = {jobs[k].trainer.model.config.hidden_size} · "
                        f"{sizes[k][1]:,} parameters")
            st.progress(min(1.0, s.step / max(1, s.target_steps)), text=f"step {s.step:,} of {s.target_steps:,}")
            st.markdown(f"Status: **{V.status_text(s, limiter.limit)}** · {s.steps_per_s:.0f} steps/s")
            if s.status in ("diverged", "error"):
                st.error(s.message)
    finals = ss[state.CMP_FINAL]
    for k, s in snaps.items():
        if V.finished(s) and not jobs[k].alive and finals.get(jobs[k].id, {}).get("step") != s.step:
            finals[jobs[k].id] = {**V.final_eval(jobs[k]), "step": s.step}
    by_kind = {k: finals[jobs[k].id] for k in CELLS if jobs[k].id in finals}
    if preset is not None and not stale:  # badges judge runs built with exactly the preset's settings
        st.subheader("Pass / fail")
        bc = st.columns(len(preset.criteria))
        whole = {k: v for k, v in by_kind.items()  # judged after exactly the preset's budget
                 if snaps[k].status == "done" and snaps[k].step == preset.steps}
        for c, (text, v, ok) in zip(bc, V.badges(preset, whole)):
            if ok is None:
                c.badge(f"{text}: pending", color="gray")
            else:
                c.badge(f"{'PASS' if ok else 'FAIL'} · {text} (measured {v:.3g})", color="green" if ok else "red",
                        icon=":material/check:" if ok else ":material/close:")
    c1, c2 = st.columns(2)
    c1.plotly_chart(V.loss_fig(snaps, task), key="cmp_loss")
    c2.plotly_chart(V.metric_fig(snaps, task), key="cmp_metric")
    st.plotly_chart(V.grad_fig(snaps), key="cmp_grad")
    st.plotly_chart(V.trajectories_fig(snaps), key="cmp_traj")
    st.subheader("Gates")
    st.caption("One held-out sequence. Sigmoid gates on one 0 (closed) to 1 (open) colour scale; candidates "
               "and the LSTM cell state on a diverging one. A gate near 0 or 1 is saturated: it acts as a switch.")
    st.columns([1, 4])[0].number_input("Held-out sequence", 1, 6, key=state.CMP_GATE_SEQ)
    seq = int(ss[state.CMP_GATE_SEQ]) - 1
    g1, g2 = st.columns(2)
    g1.plotly_chart(V.gate_heatmap_fig("lstm", snaps["lstm"], seq), key="cmp_gates_lstm")
    g2.plotly_chart(V.gate_heatmap_fig("gru", snaps["gru"], seq), key="cmp_gates_gru")
    g1, g2 = st.columns(2)
    g1.plotly_chart(V.gate_means_fig("lstm", snaps["lstm"]), key="cmp_means_lstm")
    g2.plotly_chart(V.gate_means_fig("gru", snaps["gru"]), key="cmp_means_gru")
    ymax = V.saturation_ymax(snaps)
    st.plotly_chart(V.saturation_fig("lstm", snaps["lstm"], ymax), key="cmp_sat_lstm")
    st.plotly_chart(V.saturation_fig("gru", snaps["gru"], ymax), key="cmp_sat_gru")
    st.subheader("Summary")
    target = V.default_target(task, preset)
    st.dataframe(V.summary_table(snaps, sizes, by_kind, task, target), hide_index=True,
                 column_config={"final loss": st.column_config.NumberColumn(format="%.4f"),
                                "final loss (MSE)": st.column_config.NumberColumn(format="%.4f"),
                                "final accuracy": st.column_config.NumberColumn(format="%.3f"),
                                "wall time (s)": st.column_config.NumberColumn(format="%.1f"),
                                "steps/s": st.column_config.NumberColumn(format="%.0f")})
    st.caption("Final loss and metric: on 2,048 fixed held-out sequences once a run has finished (before: the "
               "latest probe's 256). Steps to target: first probe whose held-out loss reached it"
               + (" (the preset's target)." if preset else " (half the trivial baseline)."))
    if task.name == "adding" and len(by_kind) == 3:
        st.plotly_chart(V.adding_memory_fig(jobs), key="cmp_mem_adding")
        st.caption("How far back can each trained model reach? The first marked value lies anywhere in the "
                   "first half; the further back it is, the longer the cell must keep it.")
    if active0 and not any(s.active for s in snaps.values()):
        st.rerun()  # all finished: redraw once so the timer stops


live()

st.subheader("Memory length: delayed recall against the delay")
st.caption("A model trained at one delay says nothing about another, so this trains a fresh small model "
           "(H = 16) per cell and delay, all with the same budget, and measures held-out accuracy (chance: 25 %). "
           "Delayed recall must hold every symbol of the last *delay* steps at once, so it tests capacity as "
           "well as reach; with short budgets the gated cells often sit at chance longer before they learn.")
sweep = SweepSettings(seed=int(ss[state.CMP_SEED]), steps=int(ss[state.CMP_SWEEP_STEPS]))
point = st.cache_data(show_spinner=False, max_entries=200)(sweep_point)
st.select_slider("Steps per model", [100, 200, 400, 800], key=state.CMP_SWEEP_STEPS)
if st.button("Run the memory-length sweep", key="compare.sweep", icon=":material/timeline:"):
    bar = st.progress(0.0, text="starting")
    acc = np.zeros((len(CELLS), len(sweep.delays)))
    for j, d in enumerate(sweep.delays):
        for i, k in enumerate(CELLS):
            acc[i, j] = point(k, d, sweep)
            bar.progress((j * len(CELLS) + i + 1) / acc.size, text=f"{V.FC.cell_name(k)}, delay {d}")
    bar.empty()
    ss[state.CMP_SWEEP_RESULT] = (sweep, acc)
if ss[state.CMP_SWEEP_RESULT] is not None:
    done, acc = ss[state.CMP_SWEEP_RESULT]
    st.plotly_chart(V.sweep_fig(done.delays, acc), key="cmp_sweep")
    st.caption(f"{done.steps} steps per model, batch {done.batch_size}, H = {done.hidden}, seed {done.seed}. "
               + V.sweep_summary(done.delays, acc))
