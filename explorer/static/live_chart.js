// RNN Explorer's live charts, the browser half (explorer/app/live_chart.py mounts them; served
// from explorer/static by the app, so a chart's element carries a few lines, not this file).
// - chart(): one live chart; its figures come from script runs and from the session's stream
//   (explorer/app/live_feed.py), as whole figures or patches (explorer/app/live_updates.py).
// - group(): class mode's rows of charts (explorer/jobs/rooms.py), whole figures.

// drawChart(holder, spec, src, failed) keeps one graph div in holder (created on the first call,
// reused after) and draws spec (the figure's JSON text, or the figure itself) into it with
// Plotly.react; src is the URL of plotly.js, failed the message shown if it cannot be loaded.

function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__rnnxPlotly) {
    window.__rnnxPlotly = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve(window.Plotly);
      s.onerror = () => { window.__rnnxPlotly = null; reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }
  return window.__rnnxPlotly;
}

const RELEASE_EVENTS = ["pointerup", "pointercancel", "mouseup"];
const HOLD_MAX_MS = 3000;  // a held update is drawn after this even if no release was seen
const CLEANUP_DELAY_MS = 1000;  // a cleaned-up graph still on the page after this is still in use
const OFFSCREEN_MARGIN = "300px";  // a chart this close to the window counts as in sight (drawn before it is scrolled to)

const CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"]};

// The reader's own view of each axis (zoom box, pan, scroll zoom), read from plotly's relayout
// events and put into every layout drawn after: a live chart keeps its zoom however often its data
// change. Plotly's uirevision alone keeps it only while the new layout's value matches the one
// before the reader's edit, and over a long run a data-only update now and then still reset it.
// A double click (autorange) forgets the axis; a new uirevision (another run) forgets them all.
function watchView(gd) {
  if (gd.__rnnxViewWatched || !gd.on) return;
  gd.__rnnxViewWatched = true;
  gd.on("plotly_relayout", (ev) => {
    const view = gd.__rnnxView || (gd.__rnnxView = {});
    for (const [k, v] of Object.entries(ev || {})) {
      let m = k.match(/^([xy]axis\d*)\.range\[([01])\]$/);
      if (m) { (view[m[1]] = view[m[1]] || [null, null])[Number(m[2])] = v; continue; }
      m = k.match(/^([xy]axis\d*)\.range$/);
      if (m && Array.isArray(v)) { view[m[1]] = v.slice(0, 2); continue; }
      m = k.match(/^([xy]axis\d*)\.autorange$/);
      if (m && v) delete view[m[1]];
    }
  });
}

function withView(gd, layout) {
  if (gd.__rnnxViewRev !== layout.uirevision) { gd.__rnnxView = {}; gd.__rnnxViewRev = layout.uirevision; }
  for (const [ax, r] of Object.entries(gd.__rnnxView || {})) {
    if (r[0] !== null && r[1] !== null && r[0] !== undefined && r[1] !== undefined) {
      layout[ax] = Object.assign({}, layout[ax], {range: r.slice(), autorange: false});
    }
  }
  return layout;
}

function drawChart(holder, spec, src, failed) {
  let gd = holder.querySelector(":scope > .rnnx-live-chart");
  // The same figure again (a refresh in which it did not change): nothing to draw. Redrawing would
  // also put a replay's slider back where the server left it, not where the reader moved it.
  if (gd && gd.__rnnxSpec === spec) return gd;
  if (!gd) {
    gd = document.createElement("div");
    gd.className = "rnnx-live-chart";
    gd.setAttribute("data-testid", "rnnxLiveChart");
    holder.appendChild(gd);
    // The column can change width without a window resize (sidebar folded, layout change):
    // follow the box, as Streamlit's own charts do.
    if (window.ResizeObserver) {
      gd.__rnnxResize = new ResizeObserver(() => {
        // a chart being taken off the page (Reset, another page) reports a size too, and plotly
        // refuses (a rejected promise) to resize a div that is not displayed
        if (!window.Plotly || !gd._fullLayout || !gd.isConnected || gd.offsetParent === null) return;
        window.Plotly.Plots.resize(gd).catch(() => {});
      });
      gd.__rnnxResize.observe(gd);
    }
    // While the user drags on the chart (zoom box, pan), new data wait: an update in the middle
    // of a drag could drop the zoom. The latest figure is drawn when the button is released.
    gd.addEventListener("pointerdown", () => { gd.__rnnxDragging = true; }, true);
    gd.__rnnxRelease = () => {
      clearTimeout(gd.__rnnxHoldTimer);
      gd.__rnnxHoldTimer = null;
      if (!gd.__rnnxDragging) return;
      gd.__rnnxDragging = false;
      const pending = gd.__rnnxPending;
      gd.__rnnxPending = null;
      if (pending) setTimeout(pending, 0);  // after plotly's own handler has applied the zoom
    };
    for (const ev of RELEASE_EVENTS) window.addEventListener(ev, gd.__rnnxRelease, true);
    // A chart out of sight is not redrawn (each redraw costs the browser's one busy thread, which
    // a training run on the same laptop wants too): its latest figure waits, and is drawn as the
    // chart comes within OFFSCREEN_MARGIN of the window.
    if (window.IntersectionObserver) {
      gd.__rnnxSight = new IntersectionObserver((entries) => {
        gd.__rnnxInSight = entries[entries.length - 1].isIntersecting;
        const waiting = gd.__rnnxOutOfSight;
        if (gd.__rnnxInSight && waiting) { gd.__rnnxOutOfSight = null; waiting(); }
      }, {rootMargin: OFFSCREEN_MARGIN});
      gd.__rnnxSight.observe(gd);
    }
    // Streamlit calls a component's cleanup on unmount, but also now and then while the element
    // stays on the page (a rerun that re-renders it). Tearing the graph down then dropped the
    // reader's zoom and the drag listeners (a chart held its updates for good): tear down only
    // once the graph has left the page.
    gd.__rnnxCleanup = () => {
      setTimeout(() => {
        if (gd.isConnected || gd.__rnnxGone) return;
        gd.__rnnxGone = true;
        if (gd.__rnnxResize) gd.__rnnxResize.disconnect();
        if (gd.__rnnxSight) gd.__rnnxSight.disconnect();
        for (const ev of RELEASE_EVENTS) window.removeEventListener(ev, gd.__rnnxRelease, true);
        clearTimeout(gd.__rnnxHoldTimer);
        if (window.Plotly) window.Plotly.purge(gd);
      }, CLEANUP_DELAY_MS);
    };
  }
  const fig = typeof spec === "string" ? JSON.parse(spec) : spec;
  gd.__rnnxSpec = spec;
  gd.__rnnxFig = fig;
  gd.style.height = fig.layout.height + "px";  // the box is sized before Plotly has loaded
  gd.style.width = "100%";
  const seq = (gd.__rnnxSeq || 0) + 1;
  gd.__rnnxSeq = seq;
  loadPlotly(new URL(src, document.baseURI).href).then((Plotly) => {
    if (gd.__rnnxSeq !== seq) return;  // a newer figure came while plotly.js loaded
    // Plotly.react updates the graph in place; layout.uirevision keeps the user's zoom; a
    // replay's frames come along (its slider and play button then work in the browser).
    const draw = () => {
      // copies: Plotly writes into what it is given, and a patch builds on the figure as sent
      if (gd.__rnnxSeq !== seq) return;
      Plotly.react(gd, {data: fig.data.map((t) => Object.assign({}, t)),
        layout: withView(gd, structuredClone(fig.layout)), frames: fig.frames || [], config: CONFIG});
      gd.__rnnxDrawn = fig;  // the figure on screen (bench/ui.py counts these)
      watchView(gd);  // after the first draw: gd.on exists once Plotly has made the graph
    };
    if (gd.__rnnxDrawn && gd.__rnnxInSight === false) {
      gd.__rnnxOutOfSight = draw;  // the newest figure only: drawn when the chart comes into sight
    } else if (gd.__rnnxDragging) {
      gd.__rnnxPending = draw;
      // counted from the first held update: later ones must not push it back (they come several
      // times a second, and a release the page never saw would hold the chart for good)
      if (!gd.__rnnxHoldTimer) gd.__rnnxHoldTimer = setTimeout(gd.__rnnxRelease, HOLD_MAX_MS);
    } else {
      draw();
    }
  }).catch((e) => {
    gd.textContent = failed + " (" + e.message + ")";
  });
  return gd;
}

// ---- patches: applyPatch(fig, p) gives the figure the patch p makes of fig (explorer/figures/live_patch.py)

const TYPED = {f8: Float64Array, f4: Float32Array, i4: Int32Array, i2: Int16Array, i1: Int8Array,
               u4: Uint32Array, u2: Uint16Array, u1: Uint8Array};
function plainArray(v) {  // plotly's base64 form {dtype, bdata} as a typed array
  if (!v || typeof v.bdata !== "string" || v.shape) return v;
  const s = atob(v.bdata), b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return new TYPED[v.dtype](b.buffer);
}
function splice(prev, keep, tail) {
  prev = plainArray(prev); tail = plainArray(tail);
  const out = new Float64Array(keep + tail.length);
  out.set(Array.prototype.slice.call(prev, 0, keep)); out.set(tail, keep);
  return out;
}
function applyPatch(fig, p) {
  const data = p.traces.map((t, i) => {
    if (t === null) return fig.data[i];
    if (t.full) return t.full;
    const tr = Object.assign({}, fig.data[i], t.set || {});
    for (const k of t.del || []) delete tr[k];
    for (const [k, [keep, tail]] of Object.entries(t.ext || {})) tr[k] = splice(fig.data[i][k], keep, tail);
    return tr;
  });
  return {data, layout: p.layout || fig.layout, rev: p.rev};
}

// ---- one chart: data is {key, feed: the session's stream, src, failed} and, from a script run,
// spec (the whole figure) or patch (what changed). A page keeps one store per stream: each chart's
// newest figure (offer: messages from script runs and from the stream, in whatever order they
// come; revisions decide) and the chart drawing it.

const RESYNC_GAP_MS = 1000;  // a chart asks for its whole figure at most this often
const MAX_WAITING = 8;  // patches kept per chart that came before the figure they were made for
const CLOSE_DELAY_MS = 5000;  // a stream no chart has used for this long is closed (another page)
// A tab hidden this long gives its stream back (a browser opens at most six connections to a
// server, and each open stream holds one: a seventh tab would wait for good). Its page's reruns
// draw its charts meanwhile; the stream opens again when the tab is shown.
const HIDDEN_CLOSE_MS = 5000;

// each chart's newest figure (figs), the last script-run text it took (texts), its drawing (charts),
// when it last asked for a whole figure (asked), and patches that came before their figure (waiting)
function newStore(url) {
  return {url, figs: {}, texts: {}, charts: {}, asked: {}, waiting: {}, es: null, dead: false, hideTimer: null};
}

function liveStore(url) {
  const all = window.__rnnxStores || (window.__rnnxStores = {});
  let store = all[url];
  if (!store) {
    store = all[url] = newStore(url);
    if (url) watchVisibility(store);
  }
  if (url && !store.es && !store.dead && document.visibilityState !== "hidden") openStream(store);
  return store;
}

function watchVisibility(store) {
  document.addEventListener("visibilitychange", () => {
    clearTimeout(store.hideTimer);
    if (document.visibilityState === "hidden") {
      store.hideTimer = setTimeout(() => { if (store.es) { store.es.close(); store.es = null; } }, HIDDEN_CLOSE_MS);
    } else if (!store.es && !store.dead && Object.keys(store.charts).length) {
      openStream(store);
    }
  });
}

function openStream(store) {
  const es = new EventSource(new URL(store.url, document.baseURI).href);
  store.es = es;
  es.onopen = () => { window.__rnnxStreamOpens = (window.__rnnxStreamOpens || 0) + 1; };  // counted for tests
  es.onmessage = (ev) => {
    const d = ev.data, i = d.indexOf("\n"), j = d.indexOf("\n", i + 1);
    offer(store, d.slice(0, i), d.slice(i + 1, j), JSON.parse(d.slice(j + 1)));
  };
  // refused (an ended session, no stream route): the page's fragments draw the charts instead
  es.onerror = () => { if (es.readyState === EventSource.CLOSED) { store.es = null; store.dead = true; } };
}

function offer(store, key, kind, msg) {
  const cur = store.figs[key], chart = store.charts[key];
  if (cur && msg.rev <= cur.rev) return;  // older than what the chart holds (the other channel was faster)
  if (kind === "spec") {
    store.figs[key] = catchUp(msg, store.waiting[key]);
  } else if (cur && msg.bases.includes(cur.rev)) {
    store.figs[key] = applyPatch(cur, msg);
  } else {
    // Made for a figure this page does not hold. It may be on its way: a script run's whole figure
    // comes over the websocket with the page, and the stream's patches made for it can come first.
    // Kept for that figure; the chart also asks for the whole figure, and does not guess.
    const waiting = store.waiting[key] || (store.waiting[key] = []);
    waiting.push(msg);
    if (waiting.length > MAX_WAITING) waiting.shift();
    const now = Date.now();
    if (chart && !(store.asked[key] > now - RESYNC_GAP_MS)) { store.asked[key] = now; chart.resync(msg.rev); }
    return;
  }
  delete store.asked[key];
  delete store.waiting[key];
  if (chart) chart.draw(store.figs[key]);
}

// A whole figure, brought up to date by the patches that came before it and apply to it in turn.
function catchUp(fig, waiting) {
  for (const p of (waiting || []).slice().sort((a, b) => a.rev - b.rev)) {
    if (p.rev > fig.rev && p.bases.includes(fig.rev)) fig = applyPatch(fig, p);
  }
  return fig;
}

function release(store, key, chart) {
  if (store.charts[key] !== chart) return;
  delete store.charts[key];
  setTimeout(() => {
    if (store.es && Object.keys(store.charts).length === 0) { store.es.close(); store.es = null; }
  }, CLOSE_DELAY_MS);
}

export function chart({ data, parentElement, setTriggerValue }) {
  const store = liveStore(data.feed || ""), key = data.key;
  const chart = {
    resync: (rev) => {
      window.__rnnxResyncs = (window.__rnnxResyncs || 0) + 1;  // counted for bench/ui.py, which names
      (window.__rnnxResyncKeys = window.__rnnxResyncKeys || []).push(key);  // the charts that asked
      setTriggerValue("resync", rev);
    },
    draw: (fig) => { chart.gd = drawChart(parentElement, fig, data.src, data.failed); },
  };
  store.charts[key] = chart;
  const text = data.spec !== undefined ? data.spec : data.patch;
  if (text !== undefined && store.texts[key] !== text) {  // a rerun that repeats a message: nothing new
    store.texts[key] = text;
    offer(store, key, data.spec !== undefined ? "spec" : "patch", JSON.parse(text));
  }
  if (store.figs[key]) chart.draw(store.figs[key]);
  // streamed, and none has come: the stream sends each chart's whole figure first (a stream
  // that cannot open leaves the chart to the page's reruns, which ask for it)
  else if (text === undefined && !store.es && !(store.asked[key] > Date.now() - RESYNC_GAP_MS)) {
    store.asked[key] = Date.now();
    chart.resync(0);
  }
  return () => {  // on unmount only (see drawChart)
    if (chart.gd) chart.gd.__rnnxCleanup();
    setTimeout(() => { if (!chart.gd || !chart.gd.isConnected) release(store, key, chart); }, CLEANUP_DELAY_MS);
  };
}

// ---- a group of charts in rows (class mode: one element per group, so a follower's refresh costs
// the server a few elements, not one per chart): data is bytes (a Uint8Array here), the UTF-8 lines
// src, failed and the JSON of {rows: [[key, ...], ...], specs: {key: spec JSON text}}. Each key
// keeps its own graph (and its reader's zoom) as rows come and go.

function readGroup(raw) {
  const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw instanceof Uint8Array ? raw : new Uint8Array(raw));
  const i = text.indexOf("\n"), j = text.indexOf("\n", i + 1);
  return {src: text.slice(0, i), failed: text.slice(i + 1, j), group: text.slice(j + 1)};
}

// for tests (tests/browser/test_live_chart.py): messages offered in a given order to a bare store
export const testing = {offer, store: () => newStore("")};

export function group({ data: raw, parentElement }) {
  const data = readGroup(raw);
  let root = parentElement.querySelector(":scope > .rnnx-live-group");
  if (!root) {
    root = document.createElement("div");
    root.className = "rnnx-live-group";
    root.__rnnxCells = {};
    parentElement.appendChild(root);
    root.__rnnxCleanup = () => {
      for (const cell of Object.values(root.__rnnxCells)) { const gd = cell.firstChild; if (gd && gd.__rnnxCleanup) gd.__rnnxCleanup(); }
    };
  }
  if (root.__rnnxGroup === data.group) return root.__rnnxCleanup;
  root.__rnnxGroup = data.group;
  const g = JSON.parse(data.group);
  const cells = root.__rnnxCells, used = new Set();
  g.rows.forEach((row, i) => {
    let line = root.children[i];
    if (!line) {
      line = document.createElement("div");
      line.style.cssText = "display:flex;gap:1rem;width:100%;margin-bottom:1rem";
      root.appendChild(line);
    }
    row.forEach((key, j) => {
      let cell = cells[key];
      if (!cell) {
        cell = cells[key] = document.createElement("div");
        cell.style.cssText = "flex:1 1 0;min-width:0";
        cell.setAttribute("data-chart-key", key);
      }
      if (line.children[j] !== cell) line.insertBefore(cell, line.children[j] || null);  // moved, not rebuilt
      used.add(key);
      drawChart(cell, g.specs[key], data.src, data.failed);
    });
    while (line.children.length > row.length) line.removeChild(line.lastChild);
  });
  while (root.children.length > g.rows.length) root.removeChild(root.lastChild);
  for (const key of Object.keys(cells)) {
    if (!used.has(key)) { const gd = cells[key].firstChild; if (gd && gd.__rnnxCleanup) gd.__rnnxCleanup(); delete cells[key]; }
  }
  return root.__rnnxCleanup;  // on unmount only
}
