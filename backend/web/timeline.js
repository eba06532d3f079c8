// @ts-check
// The timeline page: one uPlot chart per entity (its judged windows), all on one time axis, with
// incidents, checkpoints, changes and device events drawn over them as positioned elements. Every
// number comes from the backend's API; the page only draws. Times are UTC, as in the stories.
// uPlot is the global its script tag defines (index.html loads it before this module).

/**
 * The API's answers, in the types the backend declares for them (checkpoints/api-types.ts).
 * @typedef {import('../src/checkpoints/api-types.js').Change} Change
 * @typedef {import('../src/checkpoints/api-types.js').Checkpoint} Checkpoint
 * @typedef {import('../src/checkpoints/api-types.js').Lane} Lane
 * @typedef {Lane['windows'][number]} LaneWindow
 * @typedef {import('../src/checkpoints/api-types.js').ResolvedIncident} ResolvedIncident
 * @typedef {import('../src/checkpoints/api-types.js').Suspect} Suspect
 * @typedef {import('../src/checkpoints/api-types.js').IncidentDetail & { story: string }} IncidentStory
 * @typedef {import('../src/checkpoints/api-types.js').WindowDetail} WindowDetail
 * @typedef {{ scope: string; scopes: string[]; from: string; to: string; windowSeconds: number; completeUntil: string;
 *   lanes: Lane[]; incidents: ResolvedIncident[]; changes: Change[] }} Timeline what GET /api/v1/timeline answers
 */

const TOKEN_KEY = 'rollpoint.token';
const REFRESH_MS = 30000;
const AXIS_SIZE = 56;
const LANE_HEIGHT = 120;
const CHANGES_HEIGHT = 64;
const METRIC_LANE_HEIGHT = 72;

/** @param {string} selector one index.html has */
const $ = (selector) => /** @type {HTMLElement} */ (document.querySelector(selector));
/** @param {string} selector a form field index.html has */
const field = (selector) => /** @type {HTMLInputElement | HTMLSelectElement} */ (document.querySelector(selector));
/** The full build of uPlot (uPlot.iife.min.js) has every path builder. */
const paths = /** @type {Required<uPlot.Series.PathBuilderFactories>} */ (uPlot.paths);
const params = new URLSearchParams(location.search);
/** @type {ReturnType<typeof setTimeout> | undefined} */
let refreshTimer;
/** @type {uPlot[]} */
let charts = [];

// A token given in the address is kept in this browser and taken out of the address.
const givenToken = params.get('token');
if (givenToken !== null) {
  localStorage.setItem(TOKEN_KEY, givenToken);
  params.delete('token');
  history.replaceState(null, '', `?${params}`);
}

class Unauthorized extends Error {}

/** @param {string} path */
async function api(path) {
  const token = localStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (response.status === 401) throw new Unauthorized();
  const body = await response.json();
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body;
}

/** @param {string} iso */
const seconds = (iso) => Date.parse(iso) / 1000;
/** @param {string} iso */
const clock = (iso) => iso.slice(11, 19);
/**
 * An element with its attributes (`dataset` an object, `on<event>` a listener) and children.
 * @param {string} tag
 * @param {Record<string, string | Record<string, string> | EventListener>} attributes
 * @param {...(Node | string | undefined)} children
 */
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'object') Object.assign(node.dataset, value);
    else if (typeof value === 'function') node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== undefined));
  return node;
};

/**
 * A device's config to restore: "shop-edge config 1a2b3c4d of 12:03:10" (its revision in the config
 * repository) or "shop-edge config of 12:03:10" (the time of its last config change).
 * @param {Checkpoint['state'][number]} s
 */
function deviceRestoreText(s) {
  if (s.config?.revision) return `${s.entity} config ${s.config.revision.commit.slice(0, 8)} of ${clock(s.config.revision.time)}`;
  return `${s.entity} config of ${s.config && !s.config.time.startsWith('1970') ? clock(s.config.time) : 'unknown'}`;
}

/**
 * "shop-cart 2.0.0, shop-edge config of 12:03:10": what rolling back to a checkpoint restores.
 * @param {Checkpoint} checkpoint
 */
function restoreText(checkpoint) {
  return checkpoint.state.map((s) => (s.entityKind === 'device' ? deviceRestoreText(s) : `${s.entity} ${s.versions.join('/')}`)).join(', ');
}

/**
 * Per device whose config changed since the checkpoint, the diff from the revision to restore to its config now.
 * @param {Checkpoint} checkpoint
 */
function configDiffs(checkpoint) {
  return checkpoint.state.flatMap((s) =>
    s.config?.revision && s.config.current && s.config.diff
      ? [el('h4', {}, `${s.entity}: restore ${s.config.revision.commit.slice(0, 8)} (${s.config.revision.path}, by ${s.config.revision.author}); changed since`), el('pre', { class: 'config-diff', dataset: { device: s.entity } }, s.config.diff)]
      : [],
  );
}

/** @param {Change} change */
function changeText(change) {
  const what = change.kind === 'deploy' && change.previousVersion ? `${change.entity} ${change.previousVersion} → ${change.version}` : `${change.title} (${change.entity})`;
  return `${clock(change.time)} UTC · ${what}${change.author ? ` · by ${change.author}` : ''} · from ${change.source}${change.description ? `\n${change.description}` : ''}`;
}

/** @param {Change} c */
const changeKey = (c) => `${c.time}|${c.entityKind}|${c.entity}|${c.title}`;

/** The range asked for, from the controls: [from, to] in Unix seconds, and whether it follows now. */
function range() {
  const choice = field('#range').value;
  if (choice !== 'custom') {
    const to = Date.now() / 1000;
    return { from: to - Number(choice), to, live: true };
  }
  return { from: seconds(`${field('#from').value}Z`), to: seconds(`${field('#to').value}Z`), live: false };
}

function remember() {
  const next = new URLSearchParams({ scope: field('#scope').value });
  const { from, to, live } = range();
  if (live) next.set('range', field('#range').value);
  else {
    next.set('from', new Date(from * 1000).toISOString());
    next.set('to', new Date(to * 1000).toISOString());
  }
  history.replaceState(null, '', `?${next}`);
}

/**
 * Positions on the shared time axis, from a drawn chart (all charts have the same plot width).
 * @param {uPlot} u
 * @param {HTMLElement} node
 * @param {number} fromSeconds
 * @param {number} [toSeconds]
 */
function place(u, node, fromSeconds, toSeconds) {
  const left = u.valToPos(fromSeconds, 'x');
  node.style.left = `${left}px`;
  if (toSeconds !== undefined) node.style.width = `${Math.max(2, u.valToPos(toSeconds, 'x') - left)}px`;
  return node;
}

/**
 * The same y axes on every chart (fixed sizes), so every plot area spans the same pixels of the page.
 * @param {boolean} withValues
 * @returns {uPlot.Axis[]}
 */
function axes(withValues) {
  const quiet = withValues ? {} : { stroke: 'transparent', ticks: { show: false }, grid: { show: false } };
  const x = withValues ? { values: [[60, '{HH}:{mm}', null, null, null, null, null, null, 0]], size: 30 } : { values: () => [], size: 4, grid: { show: false }, ticks: { show: false } };
  return [
    x,
    { scale: '%', size: AXIS_SIZE, stroke: '#d62728', values: (_, ticks) => ticks.map((t) => `${t}%`), ...quiet },
    { scale: 'ms', side: 1, size: AXIS_SIZE, stroke: '#1f77b4', grid: { show: false }, ...quiet },
  ];
}

/**
 * @param {number} width
 * @param {number} height
 * @param {Timeline} timeline
 * @param {boolean} withValues
 * @returns {Omit<uPlot.Options, 'series'>}
 */
function baseOptions(width, height, timeline, withValues) {
  return {
    width,
    height,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: { x: { time: true, range: () => [seconds(timeline.from), seconds(timeline.to)] }, '%': { range: (_, __, max) => [0, Math.max(5, max * 1.1)] }, ms: { range: (_, __, max) => [0, Math.max(50, max * 1.1)] }, n: { range: (_, __, max) => [0, Math.max(5, max * 1.2)] } },
    axes: axes(withValues),
    cursor: { sync: { key: 'rollpoint' }, drag: { x: false, y: false }, points: { show: false } },
    legend: { show: false },
  };
}

/**
 * Incidents as bands and their checkpoints as lines, on every lane. The bands of the changes lane
 * (`top`) open the incident's story; on an entity's lane a click picks the window under it.
 * @param {uPlot} u
 * @param {Timeline} timeline
 * @param {HTMLElement} overlay
 * @param {boolean} top
 */
function drawIncidents(u, timeline, overlay, top) {
  for (const incident of timeline.incidents) {
    const band = top
      ? el('div', { class: 'overlay incident-band clickable', dataset: { incident: incident.id }, title: `incident ${incident.id}: ${clock(incident.start)}–${clock(incident.end)} UTC, ${incident.status}; click for the story`, onclick: () => explainFailure(showIncident(incident.id)) }, el('span', { class: 'band-label' }, `incident · ${incident.status}`))
      : el('div', { class: 'overlay incident-band', dataset: { incident: incident.id } });
    overlay.append(place(u, band, seconds(incident.start), seconds(incident.end)));
    if (!incident.checkpoint.time) continue;
    overlay.append(place(u, el('div', { class: 'overlay checkpoint-line', dataset: { incident: incident.id, time: incident.checkpoint.time } }), seconds(incident.checkpoint.time)));
    if (top) overlay.append(place(u, el('div', { class: 'checkpoint-label', dataset: { incident: incident.id } }, `checkpoint ${clock(incident.checkpoint.time)} · restore ${restoreText(incident.checkpoint) || 'no versions recorded'}`), seconds(incident.checkpoint.time)));
  }
}

/**
 * @param {uPlot} u
 * @param {Timeline} timeline
 * @param {HTMLElement} overlay
 * @param {Change[]} changes
 */
function drawChanges(u, timeline, overlay, changes) {
  /** @type {Map<string, { suspect: Suspect; rank: number }>} */
  const suspects = new Map();
  for (const incident of timeline.incidents) incident.suspects.forEach((suspect, i) => suspects.set(changeKey(suspect), { suspect, rank: i + 1 }));
  for (const change of changes) {
    const ranked = suspects.get(changeKey(change));
    // A suspect's tooltip: its rank, score and the evidence behind them, a line each.
    const title = ranked ? [`SUSPECT #${ranked.rank} · score ${ranked.suspect.score} · ${changeText(change)}`, ...ranked.suspect.evidenceLines.map((line) => `· ${line}`)].join('\n') : changeText(change);
    overlay.append(place(u, el('div', { class: `change-marker${ranked ? ' suspect' : ''}`, title, dataset: { time: change.time, entity: change.entity, kind: change.kind } }), seconds(change.time)));
  }
}

/**
 * @param {uPlot} u
 * @param {Lane} lane
 * @param {number} windowSeconds
 * @param {HTMLElement} overlay
 */
function drawDeviceEvents(u, lane, windowSeconds, overlay) {
  for (const w of lane.windows) {
    const events = Object.entries(w.deviceEvents);
    if (events.length === 0) continue;
    const text = events.map(([kind, n]) => `${n} × ${kind}`).join(', ');
    overlay.append(place(u, el('div', { class: 'device-marker', title: `${clock(new Date(w.start * 1000).toISOString())} UTC: ${text}`, dataset: { window: String(w.start) } }, '▲'), w.start + windowSeconds / 2));
  }
}

/**
 * Draws the overlays again after every redraw (resize, cursor sync does not redraw).
 * @param {(u: uPlot, overlay: HTMLElement) => void} draw
 */
function overlayHook(draw) {
  return (/** @type {uPlot} */ u) => {
    u.root.querySelector('.overlays')?.remove();
    const overlay = el('div', { class: 'overlays' });
    draw(u, overlay);
    u.over.append(overlay);
  };
}

/**
 * @param {Timeline} timeline
 * @param {number} width
 */
function changesLane(timeline, width) {
  const node = el('div', { class: 'lane changes', dataset: { lane: 'changes' } }, el('div', { class: 'name' }, 'changes'));
  /** @type {uPlot.AlignedData} */
  const data = [[seconds(timeline.from), seconds(timeline.to)], [null, null], [null, null]];
  /** @type {uPlot.Options} */
  const options = { ...baseOptions(width, CHANGES_HEIGHT, timeline, false), series: [{}, { scale: '%' }, { scale: 'ms' }], hooks: { draw: [overlayHook((u, overlay) => (drawIncidents(u, timeline, overlay, true), drawChanges(u, timeline, overlay, timeline.changes)))] } };
  charts.push(new uPlot(options, data, node));
  return node;
}

/**
 * The window starts of the range, and a lane's values by window (null where it has none).
 * @param {Timeline} timeline
 * @param {Lane} lane
 */
function windowColumns(timeline, lane) {
  const step = timeline.windowSeconds;
  const first = Math.floor(seconds(timeline.from) / step) * step;
  /** @type {number[]} */
  const xs = [];
  for (let t = first; t < seconds(timeline.to); t += step) xs.push(t);
  const byStart = new Map(lane.windows.map((w) => [w.start, w]));
  /** @param {(w: LaneWindow) => number | null} read */
  const column = (read) => xs.map((t) => { const w = byStart.get(t); return w ? read(w) : null; });
  return { xs, column };
}

/**
 * @param {Timeline} timeline
 * @param {Lane} lane
 * @param {number} width
 */
function entityLane(timeline, lane, width) {
  const node = el('div', { class: 'lane', dataset: { entity: lane.entity, kind: lane.entityKind } }, el('div', { class: 'name' }, lane.entity, ' ', el('small', {}, lane.entityKind)));
  const step = timeline.windowSeconds;
  const { xs, column } = windowColumns(timeline, lane);
  /** @type {uPlot.AlignedData} */
  const data = [xs, column((w) => (w.spans > 0 ? w.errorRatio * 100 : null)), column((w) => (w.spans > 0 ? w.p95Ms : null)), column((w) => w.errorLogs || null)];
  const stepped = paths.stepped({ align: 1 });
  /** @type {uPlot.Options} */
  const options = {
    ...baseOptions(width, LANE_HEIGHT, timeline, true),
    series: [
      {},
      { label: 'error ratio %', scale: '%', stroke: '#d62728', fill: 'rgba(214,39,40,0.08)', width: 1.5, paths: stepped },
      { label: 'p95 ms', scale: 'ms', stroke: '#1f77b4', width: 1.5, paths: stepped },
      { label: 'error logs', scale: 'n', stroke: '#ff7f0e', fill: 'rgba(255,127,14,0.35)', paths: paths.bars({ align: 1, size: [0.8, 40] }) },
    ],
    hooks: {
      draw: [
        overlayHook((u, overlay) => {
          drawIncidents(u, timeline, overlay, false);
          drawChanges(u, timeline, overlay, timeline.changes.filter((c) => c.entity === lane.entity && c.entityKind === lane.entityKind));
          drawDeviceEvents(u, lane, step, overlay);
        }),
      ],
    },
  };
  const chart = new uPlot(options, data, node);
  chart.over.addEventListener('click', () => {
    const left = chart.cursor.left;
    if (left === undefined || left < 0) return;
    const start = Math.floor(chart.posToVal(left, 'x') / step) * step;
    explainFailure(showWindow(start, step, chart));
  });
  charts.push(chart);
  return node;
}

/**
 * A lane under the entity's for each measure of its metric rules that has values (the filesystem
 * utilization of a host, …), with the incidents drawn across it like on every lane.
 * @param {Timeline} timeline
 * @param {Lane} lane
 * @param {number} width
 */
function metricLanes(timeline, lane, width) {
  const labels = [...new Set(lane.windows.flatMap((w) => Object.keys(w.metrics)))].sort();
  const [x, , right] = axes(true);
  /** @type {uPlot.Axis[]} */
  const metricAxes = [x, { scale: 'v', size: AXIS_SIZE, stroke: '#17becf' }, { ...right, stroke: 'transparent', ticks: { show: false }, values: () => [] }];
  return labels.map((label) => {
    const node = el('div', { class: 'lane metric', dataset: { metricOf: lane.entity, kind: lane.entityKind, metric: label } }, el('div', { class: 'name' }, el('small', {}, `${lane.entity} · ${label}`)));
    const { xs, column } = windowColumns(timeline, lane);
    /** @type {uPlot.AlignedData} */
    const data = [xs, column((w) => w.metrics[label] ?? null), xs.map(() => null)];
    /** @type {uPlot.Options} */
    const options = {
      ...baseOptions(width, METRIC_LANE_HEIGHT, timeline, true),
      axes: metricAxes,
      series: [{}, { label, scale: 'v', stroke: '#17becf', width: 1.5, paths: paths.stepped({ align: 1 }) }, { scale: 'ms' }],
      hooks: { draw: [overlayHook((u, overlay) => drawIncidents(u, timeline, overlay, false))] },
    };
    charts.push(new uPlot(options, data, node));
    return node;
  });
}

/** @param {Timeline} timeline */
function render(timeline) {
  for (const chart of charts) chart.destroy();
  charts = [];
  const lanes = $('#lanes');
  const width = lanes.clientWidth || 900;
  lanes.replaceChildren(changesLane(timeline, width), ...timeline.lanes.flatMap((lane) => [entityLane(timeline, lane, width), ...metricLanes(timeline, lane, width)]));
  if (timeline.lanes.length === 0) lanes.append(el('p', { class: 'hint' }, 'No judged windows for this scope in this range.'));
  $('#status').textContent = `windows of ${timeline.windowSeconds}s · complete until ${clock(timeline.completeUntil)} UTC · ${timeline.incidents.length} incident(s)`;
}

/** @param {string} id */
function selectBand(id) {
  for (const band of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.incident-band'))) band.classList.toggle('selected', band.dataset.incident === id);
}

/**
 * Shows in the details panel why a click's request failed.
 * @param {Promise<void>} promise
 */
function explainFailure(promise) {
  promise.catch((err) => $('#details').replaceChildren(el('p', { class: 'hint' }, err instanceof Unauthorized ? 'The API token was refused.' : `error: ${err.message}`)));
}

/** @param {string} id */
async function showIncident(id) {
  selectBand(id);
  const details = $('#details');
  details.replaceChildren(el('p', { class: 'hint' }, `loading ${id}…`));
  /** @type {IncidentStory} */
  const incident = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
  const suspects = incident.suspects.map((s) =>
    el('li', { class: 'suspect' }, `${changeText(s)} · score ${s.score}`, ...s.evidenceLines.map((line) => el('div', { class: 'hint' }, line))),
  );
  details.replaceChildren(
    el('h2', {}, `Incident ${incident.id}`),
    el('p', {}, `${clock(incident.start)}–${clock(incident.end)} UTC · ${incident.status} · ${incident.windows} window(s) · first bad: ${incident.firstBad.entityKind} ${incident.firstBad.entity} (${incident.firstBad.rules.join(', ')})`),
    el('p', { class: 'story' }, incident.story),
    el('h3', {}, 'Checkpoint'),
    el('p', { class: 'checkpoint' }, incident.checkpoint.time ? `${clock(incident.checkpoint.time)} UTC — restore ${restoreText(incident.checkpoint) || 'no versions recorded'}` : 'none found'),
    ...configDiffs(incident.checkpoint),
    el('h3', {}, `Suspects (${incident.suspects.length})`),
    suspects.length > 0 ? el('ol', { class: 'suspects' }, ...suspects) : el('p', { class: 'hint' }, 'No changes since the checkpoint.'),
  );
}

/**
 * @param {number} start
 * @param {number} step
 * @param {uPlot} chart
 */
async function showWindow(start, step, chart) {
  for (const node of document.querySelectorAll('.window-highlight')) node.remove();
  chart.over.append(place(chart, el('div', { class: 'overlay window-highlight' }), start, start + step));
  const details = $('#details');
  const iso = new Date(start * 1000).toISOString();
  details.replaceChildren(el('p', { class: 'hint' }, `loading the window ${clock(iso)}…`));
  /** @type {WindowDetail} */
  const window = await api(`/api/v1/timeline/window?${new URLSearchParams({ scope: field('#scope').value, start: iso, window: `${step}s` })}`);
  /**
   * @param {string[]} head
   * @param {Array<Array<string | number>>} rows
   */
  const table = (head, rows) => el('table', {}, el('tr', {}, ...head.map((h) => el('th', {}, h))), ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, String(c))))));
  details.replaceChildren(
    el('h2', {}, `Window ${clock(window.start)}–${clock(window.end)} UTC`),
    el('h3', {}, 'Top error messages'),
    window.errors.length > 0 ? table(['count', 'message', 'from'], window.errors.map((e) => [e.count, e.message, e.entities.join(', ')])) : el('p', { class: 'hint' }, 'No error logs.'),
    el('h3', {}, 'Slowest spans'),
    window.slowest.length > 0 ? table(['ms', 'span', 'service', 'status'], window.slowest.map((s) => [Math.round(s.durationMs), s.name, s.service, s.status])) : el('p', { class: 'hint' }, 'No spans.'),
  );
  details.dataset.window = iso;
}

/** Never rejects: what failed is shown in the status line, so callers need not wait for it. */
async function load() {
  clearTimeout(refreshTimer);
  const { from, to, live } = range();
  try {
    // No scope chosen yet: the backend's default, which for a token limited to scopes is its first.
    const scope = field('#scope').value || params.get('scope');
    /** @type {Timeline} */
    const timeline = await api(`/api/v1/timeline?${new URLSearchParams({ ...(scope ? { scope } : {}), from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString() })}`);
    $('#token-form').hidden = true;
    const select = /** @type {HTMLSelectElement} */ ($('#scope'));
    if (select.options.length !== timeline.scopes.length) select.replaceChildren(...timeline.scopes.map((s) => el('option', { value: s }, s)));
    select.value = timeline.scope;
    render(timeline);
    document.body.dataset.state = 'ready';
  } catch (err) {
    if (err instanceof Unauthorized) {
      $('#token-form').hidden = false;
      document.body.dataset.state = 'token';
      return;
    }
    $('#status').textContent = `error: ${err instanceof Error ? err.message : String(err)}`;
    document.body.dataset.state = 'error';
  }
  if (live) refreshTimer = setTimeout(load, REFRESH_MS);
}

function init() {
  const toInput = (/** @type {string} */ iso) => iso.slice(0, 16);
  field('#range').value = params.has('from') ? 'custom' : params.get('range') ?? '3600';
  field('#from').value = toInput(params.get('from') ?? new Date(Date.now() - 3600_000).toISOString());
  field('#to').value = toInput(params.get('to') ?? new Date().toISOString());
  const scope = params.get('scope');
  if (scope !== null) $('#scope').append(el('option', { value: scope }, scope));
  document.body.classList.toggle('custom-range', field('#range').value === 'custom');
  for (const control of ['#scope', '#range', '#from', '#to']) {
    $(control).addEventListener('change', () => {
      document.body.classList.toggle('custom-range', field('#range').value === 'custom');
      remember();
      void load();
    });
  }
  $('#token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(TOKEN_KEY, field('#token').value);
    void load();
  });
  addEventListener('resize', () => {
    for (const chart of charts) chart.setSize({ width: $('#lanes').clientWidth, height: chart.height });
  });
  const incident = params.get('incident');
  void load().then(() => incident !== null && explainFailure(showIncident(incident)));
}

init();
