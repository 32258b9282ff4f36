// The shop's cache dashboard: polls /dashboard/data every second and draws its columns with uPlot
// (loaded before this file as a global). Plain browser JavaScript, served as is: no build step.
/* global document, window, uPlot */
'use strict';

const POLL_MS = 1000;
const HEIGHT = 240;
const COLORS = ['#0969da', '#1a7f37', '#cf222e', '#8250df', '#bf8700', '#1b7c83', '#e85aad', '#57606a'];

/** How each chart reads and shows its values. */
const CHARTS = {
  hitRate: { unit: ' %', digits: 1, range: () => [0, 100] },
  loadLatencyMs: { unit: ' ms', digits: 2, range: (_u, _min, max) => [0, Math.max(1, max)] },
  writeBehindDepth: { unit: '', digits: 0, range: (_u, _min, max) => [0, Math.max(1, max)] },
  writeBehindLagSeconds: { unit: ' s', digits: 1, range: (_u, _min, max) => [0, Math.max(1, max)] },
};

/** What the page drew, for people poking at it in the console and for the e2e test. */
const state = { charts: {}, data: undefined, polls: 0, errors: 0 };
window.strataDashboard = state;

function format(value, chart) {
  return value === null || value === undefined ? '–' : value.toFixed(chart.digits) + chart.unit;
}

function build(name, element, lines) {
  const chart = CHARTS[name];
  const options = {
    width: Math.max(300, element.clientWidth),
    height: HEIGHT,
    scales: { x: { time: true }, y: { range: chart.range } },
    axes: [{}, { size: 70, values: (_u, ticks) => ticks.map((t) => +t.toFixed(2) + chart.unit) }],
    series: [
      {},
      ...lines.map((line, i) => ({
        label: line.label,
        stroke: COLORS[i % COLORS.length],
        width: 2,
        points: { show: false },
        value: (_u, v) => format(v, chart),
      })),
    ],
  };
  return new uPlot(options, columns(name), element);
}

function columns(name) {
  const data = state.data;
  return data ? [data.time, ...data[name].map((line) => line.values)] : [[]];
}

function update(name) {
  const element = document.getElementById('chart-' + name);
  const lines = state.data[name];
  const labels = lines.map((line) => line.label).join('|');
  let plot = state.charts[name];
  if (plot === undefined || element.dataset.series !== labels) {
    // A new line (a cache's first lookup): uPlot's series are fixed per instance, so rebuild.
    if (plot !== undefined) plot.destroy();
    plot = state.charts[name] = build(name, element, lines);
  } else {
    plot.setData(columns(name));
  }
  let max = 0;
  for (const line of lines) for (const v of line.values) if (v !== null && v > max) max = v;
  element.dataset.series = labels;
  element.dataset.points = String(state.data.time.length);
  element.dataset.max = String(max);
}

function setStatus(text, kind) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.dataset.state = kind;
}

async function poll() {
  try {
    const response = await fetch('/dashboard/data', { cache: 'no-store' });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    state.data = await response.json();
    document.getElementById('window').textContent = String(state.data.windowMs / 1000);
    for (const name of Object.keys(CHARTS)) update(name);
    state.polls++;
    const points = state.data.time.length;
    setStatus(
      points > 0 ? 'live · ' + new Date().toLocaleTimeString() : 'collecting the first points…',
      'live',
    );
  } catch (error) {
    state.errors++;
    setStatus('cannot reach the shop (' + error.message + '), retrying', 'error');
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

window.addEventListener('resize', () => {
  for (const [name, plot] of Object.entries(state.charts)) {
    plot.setSize({
      width: Math.max(300, document.getElementById('chart-' + name).clientWidth),
      height: HEIGHT,
    });
  }
});

poll();
