// makeready's web viewer: sign in, upload, follow the analyses, and look at a part, its process
// chains and a tray. Everything goes through the public REST API (js/api.js).
import { api, ApiError, download, saveBlob, signedIn, signIn, signOut, username, waitTask, whenSignedOut } from './api.js';
import { barChart, fmt, lineChart, stackedBar } from './charts.js';
import { parseDisplay } from './display.js';
import { PartView, PROBLEM_COLOURS, PROBLEM_TITLES, RAMP, TrayView } from './scene.js';

const $ = (id) => document.getElementById(id);
const state = { parts: [], selected: null, report: null, display: null, view: null, trayView: null, tray: null, printable: null, polling: null };

function say(text) {
  $('status').textContent = text;
}

function showError(error) {
  const e = error instanceof ApiError ? error : new ApiError(0, 'client.error', 'Something went wrong', String(error && error.message ? error.message : error));
  $('error-title').textContent = e.title || 'Error';
  $('error-detail').textContent = e.detail || '';
  $('error-code').textContent = e.code ? `[${e.code}]` : '';
  $('error').hidden = false;
}

function clearError() {
  $('error').hidden = true;
}

async function guarded(work) {
  try {
    clearError();
    return await work();
  } catch (error) {
    showError(error);
    return undefined;
  }
}

// ---- sign-in ---------------------------------------------------------------------------------

function showSignIn() {
  $('app').hidden = true;
  $('who').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-form').elements.username.focus();
}

async function showApp() {
  $('sign-in').hidden = true;
  $('app').hidden = false;
  $('who').hidden = false;
  $('who-name').textContent = username();
  await guarded(loadCatalog);
  await guarded(refreshParts);
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target.elements;
  guarded(async () => {
    await signIn(form.username.value, form.password.value);
    form.password.value = '';
    await showApp();
  });
});

$('sign-out').addEventListener('click', () => {
  signOut();
  fetch('/api-auth/logout', { method: 'POST' }).catch(() => {});
  showSignIn();
});

whenSignedOut((error) => {
  showSignIn();
  showError(error);
});

$('error-close').addEventListener('click', clearError);

// ---- upload ----------------------------------------------------------------------------------

let materials = [];

async function loadCatalog() {
  materials = await api('/api/v1/material/');
  const processes = [...new Set(materials.filter((m) => m.tech === 'additive_manufacturing').map((m) => m.prc_acronym))].sort();
  $('upload-process').replaceChildren(...processes.map((p) => new Option(p.toUpperCase(), p)));
  $('upload-process').value = processes.includes('sls') ? 'sls' : processes[0];
  fillMaterials();
}

function fillMaterials() {
  const process = $('upload-process').value;
  const names = materials.filter((m) => m.prc_acronym === process).map((m) => m.mat_name);
  $('upload-material').replaceChildren(...names.map((n) => new Option(n, n)));
}

$('upload-process').addEventListener('change', fillMaterials);

$('upload-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const files = [...$('upload-file').files];
  guarded(async () => {
    $('upload-submit').disabled = true;
    let first = null;
    try {
      for (const file of files) {
        say(`Uploading ${file.name}`);
        const form = new FormData();
        form.append('file', file, file.name);
        form.append('mat_name', $('upload-material').value);
        form.append('prc_acronym', $('upload-process').value);
        form.append('lot_size', $('upload-lot').value);
        form.append('units', $('upload-units').value);
        if ($('upload-nesting').value) form.append('nst_style', $('upload-nesting').value);
        const answer = await api('/api/v1/part/', { method: 'POST', form });
        first = first || answer.part_id;
      }
    } finally {
      $('upload-submit').disabled = false;
    }
    $('upload-file').value = '';
    await refreshParts();
    if (first) selectPart(first);
  });
});

// ---- parts list ------------------------------------------------------------------------------

function partItem(part) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.dataset.partId = part.part_id;
  button.setAttribute('aria-current', String(part.part_id === state.selected));
  const name = document.createElement('strong');
  name.textContent = part.name;
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = `${part.mat_name} · ${String(part.prc_acronym).toUpperCase()} · lot ${part.lot_size}`;
  const status = document.createElement('span');
  status.className = `meta state-${part.status}`;
  status.dataset.status = part.status;
  const running = part.status === 'running' || part.status === 'queued';
  status.textContent = part.status === 'running' && part.stage ? `running: ${part.stage}` : part.status;
  button.append(name, meta, status);
  if (running) {
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = part.progress || 0;
    bar.setAttribute('aria-label', `${part.name}: analysis progress`);
    button.append(bar);
  }
  button.addEventListener('click', () => selectPart(part.part_id));
  li.append(button);
  return li;
}

async function refreshParts() {
  const before = new Map(state.parts.map((p) => [p.part_id, p.status]));
  state.parts = await api('/api/v1/part/');
  $('parts').replaceChildren(...state.parts.map(partItem));
  $('parts-empty').hidden = state.parts.length > 0;
  const busy = state.parts.some((p) => p.status === 'queued' || p.status === 'running' || p.status === 'uploaded');
  clearTimeout(state.polling);
  if (busy) state.polling = setTimeout(() => guarded(refreshParts), 1500);
  const current = state.parts.find((p) => p.part_id === state.selected);
  if (current && before.get(current.part_id) !== current.status && (current.status === 'done' || current.status === 'error')) {
    say(`${current.name}: analysis ${current.status}`);
    await loadPart(current);
  }
}

async function selectPart(partId) {
  state.selected = partId;
  document.querySelectorAll('#parts button').forEach((b) => b.setAttribute('aria-current', String(b.dataset.partId === partId)));
  const part = state.parts.find((p) => p.part_id === partId);
  if (part) await guarded(() => loadPart(part));
}

// ---- one part --------------------------------------------------------------------------------

// Coded warnings of the report (e.g. units_suspect): the numbers are priced, the user decides.
function renderWarnings(warnings) {
  const list = $('part-warnings');
  list.replaceChildren(
    ...warnings.map((w) => {
      const item = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = w.code;
      item.append(code, ` ${w.message}`);
      return item;
    }),
  );
  list.hidden = warnings.length === 0;
}

async function loadPart(part) {
  $('detail-empty').hidden = true;
  $('part-warnings').hidden = true;
  $('detail').hidden = false;
  $('part-name').textContent = part.name;
  state.report = null;
  $('download-json').disabled = true;
  $('download-xlsx').disabled = true;
  if (part.status !== 'done') {
    $('part-facts').textContent = part.status === 'error' ? 'The analysis failed.' : `Analysing… (${part.status})`;
    if (part.status === 'error') {
      const result = await api(`/api/v1/analysisResult/${part.part_id}/`);
      if (result.error) showError(new ApiError(422, result.error.code, 'The analysis failed', result.error.message));
    }
    return;
  }
  const [result, response] = await Promise.all([
    api(`/api/v1/analysisResult/${part.part_id}/`),
    api(`/api/v1/part/${part.part_id}/display`, { raw: true }),
  ]);
  if (state.selected !== part.part_id) return;
  const report = result.analysis_report;
  state.report = report;
  state.display = parseDisplay(await response.arrayBuffer());
  $('download-json').disabled = false;
  $('download-xlsx').disabled = false;
  $('part-facts').textContent =
    `${fmt(report.bb_x, 1)} × ${fmt(report.bb_y, 1)} × ${fmt(report.bb_z, 1)} mm · ${fmt(report.part_vol, 2)} cm³ · ` +
    `${fmt(report.part_srf_area, 1)} cm² · ${report.cad_stat.triangles.toLocaleString('en-US')} triangles · ` +
    `thinnest wall ${fmt(report.t_min, 2)} mm`;
  $('part-facts').dataset.partVol = report.part_vol;
  renderWarnings(report.warnings || []);
  renderModel();
  renderCosts();
  renderTrayForm();
  say(`${part.name} loaded`);
}

function renderModel() {
  const { meta } = state.display;
  if (!state.view) state.view = new PartView($('viewport'));
  state.view.show(state.display);
  const chosen = meta.primary_process_chain_id;
  const options = [new Option('As uploaded', '')];
  for (const [id, o] of Object.entries(meta.orientations || {})) {
    options.push(new Option(`${o.name}${id === chosen ? ' (chosen chain)' : ''}`, id));
  }
  $('orientation').replaceChildren(...options);
  $('orientation').value = '';
  $('show-supports').checked = false;
  $('show-supports').disabled = !(meta.supports && meta.supports.drawn && meta.supports.faces > 0);
  $('section-on').checked = false;
  $('section').disabled = true;
  $('section-value').textContent = '';
  applyColour();
  renderProblems(meta.problems || []);
  renderThin(meta.thickness || {});
  const notes = [];
  if (meta.decimated) notes.push(`Shown with ${meta.faces.toLocaleString('en-US')} of ${meta.source_faces.toLocaleString('en-US')} triangles (decimated for display).`);
  if (meta.supports && !meta.supports.needs_supports) notes.push(`${meta.supports.process.toUpperCase()} needs no supports.`);
  else if (meta.supports && meta.supports.faces === 0) notes.push('Nothing needs support in the chosen orientation.');
  $('display-note').textContent = notes.join(' ');
}

function applyColour() {
  const mode = document.querySelector('input[name=colour]:checked').value;
  const primary = state.display.meta.primary_process_chain_id;
  if (mode === 'overhang' && $('orientation').value !== primary) {
    // Overhangs are those of the chosen chain's orientation: show the part that way up.
    $('orientation').value = primary;
    orientTo(primary);
  }
  const scale = state.view.setColour(mode);
  const legend = $('legend');
  if (mode === 'plain') {
    legend.hidden = true;
    return;
  }
  legend.hidden = false;
  const th = state.display.meta.thickness || {};
  if (mode === 'overhang') {
    $('legend-title').textContent = 'Faces needing support (chosen orientation)';
    $('legend-bar').style.background = 'linear-gradient(90deg, #e4572e 50%, #9fb3c8 50%)';
    $('legend-ticks').replaceChildren(...['needs support', 'self-supporting'].map((t) => Object.assign(document.createElement('span'), { textContent: t })));
    $('legend-note').textContent = '';
    return;
  }
  $('legend-title').textContent = mode === 'thickness' ? 'Wall thickness, mm' : 'Gap to the next wall, mm';
  $('legend-bar').style.background = `linear-gradient(90deg, ${RAMP.join(', ')})`;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => scale.low + f * (scale.high - scale.low));
  $('legend-ticks').replaceChildren(...ticks.map((t, i) => Object.assign(document.createElement('span'), { textContent: `${fmt(t, 1)}${i === ticks.length - 1 ? '+' : ''}` })));
  $('legend-note').textContent = mode === 'thickness'
    ? `Below ${fmt(th.thin_below, 1)} mm is too thin for the material; grey: not measured.`
    : `Below ${fmt(th.narrow_below, 1)} mm is too narrow; grey: open to the outside.`;
}

document.querySelectorAll('input[name=colour]').forEach((input) => input.addEventListener('change', applyColour));
$('show-problems').addEventListener('change', (e) => state.view.setVisible('overlays', e.target.checked));
$('show-thin').addEventListener('change', (e) => state.view.setVisible('thin', e.target.checked));
$('show-wire').addEventListener('change', (e) => state.view.setWire(e.target.checked));
$('show-supports').addEventListener('change', (e) => {
  const primary = state.display.meta.primary_process_chain_id;
  if (e.target.checked && $('orientation').value !== primary) {
    $('orientation').value = primary;
    orientTo(primary);
  }
  state.view.showSupports(e.target.checked);
});

$('orientation').addEventListener('change', (e) => orientTo(e.target.value));
$('reset-view').addEventListener('click', () => state.view.reset());

function orientTo(chainId) {
  const orientation = chainId ? state.display.meta.orientations[chainId] : null;
  state.view.orient(orientation ? orientation.rotation : null);
  if (chainId !== state.display.meta.primary_process_chain_id) {
    // Supports and overhang colours belong to the chosen chain's orientation only.
    $('show-supports').checked = false;
    state.view.showSupports(false);
    if (document.querySelector('input[name=colour]:checked').value === 'overhang') {
      document.querySelector('input[name=colour][value=plain]').checked = true;
      applyColour();
    }
  }
  updateSection();
  state.view.reset();
}

function updateSection() {
  const on = $('section-on').checked;
  $('section').disabled = !on;
  const height = state.view.setSection(on ? Number($('section').value) / 1000 : null);
  $('section-value').textContent = on ? `cut at z = ${fmt(height, 1)} mm` : '';
}

$('section-on').addEventListener('change', updateSection);
$('section').addEventListener('input', updateSection);

function findingButton(text, onClick) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = text;
  button.addEventListener('click', onClick);
  return button;
}

const tidy = (v) => fmt(Math.abs(v) < 0.05 ? 0 : v, 1);
const xyz = (v) => `(${tidy(v.x ?? v[0])}, ${tidy(v.y ?? v[1])}, ${tidy(v.z ?? v[2])})`;

function renderProblems(problems) {
  const list = $('problem-list');
  list.replaceChildren();
  if (!problems.length) {
    list.append(Object.assign(document.createElement('li'), { textContent: 'None: the mesh is sound.' }));
    return;
  }
  for (const problem of problems) {
    const spots = state.view.problemSpots[problem.type] || [];
    const li = document.createElement('li');
    li.dataset.problem = problem.type;
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = PROBLEM_COLOURS[problem.type] || '#f0f';
    summary.append(swatch, `${PROBLEM_TITLES[problem.type] || problem.type}: ${problem.count.toLocaleString('en-US')}`);
    details.append(summary);
    const inner = document.createElement('ul');
    spots.slice(0, 50).forEach((spot, i) => {
      const item = document.createElement('li');
      item.append(findingButton(`#${i + 1} at ${xyz(spot.centre)}`, () => state.view.flyToPart(spot.centre, spot.radius, PROBLEM_COLOURS[problem.type])));
      inner.append(item);
    });
    if (problem.count > spots.length) inner.append(Object.assign(document.createElement('li'), { textContent: `${problem.count - spots.length} more not located` }));
    details.append(inner);
    li.append(details);
    list.append(li);
  }
}

function renderThin(thickness) {
  const list = $('thin-list');
  list.replaceChildren();
  const regions = [...(thickness.thin_walls || []), ...(thickness.narrow_gaps || [])];
  if (!regions.length) {
    list.append(Object.assign(document.createElement('li'), { textContent: `None below ${fmt(thickness.thin_below, 1)} mm walls / ${fmt(thickness.narrow_below, 1)} mm gaps.` }));
    return;
  }
  regions.slice(0, 100).forEach((region) => {
    const li = document.createElement('li');
    // Only walls (and gaps) count against the limits; fine details and mesh defects are listed to look at.
    const what = { wall: '', fine_detail: ' (fine detail)', defect: ' (mesh defect)' }[region.category || 'wall'] ?? '';
    const kind = (region.kind === 'thin_wall' ? 'Wall' : 'Gap') + what;
    const centre = { x: region.worst[0], y: region.worst[1], z: region.worst[2] };
    li.append(findingButton(`${kind} ${fmt(region.value, 2)} mm, ${fmt(region.area, 1)} mm² at ${xyz(centre)}`, () => {
      state.view.flyToPart(region.worst, Math.sqrt(region.area) / 2, region.kind === 'thin_wall' ? '#b2182b' : '#6a3d9a');
    }));
    list.append(li);
  });
}

// ---- process chains --------------------------------------------------------------------------

function chainsOf(report) {
  return Object.values(report.process_chains).sort((a, b) => {
    const fa = a.process_chain_stat.feasible ? 0 : 1;
    const fb = b.process_chain_stat.feasible ? 0 : 1;
    return fa - fb || (a.cost.cost_pp ?? Infinity) - (b.cost.cost_pp ?? Infinity);
  });
}

function checks(chain) {
  const f = chain.feasibility || {};
  const out = [];
  if (f.thickness) out.push([f.thickness.t_min_chk !== false, `wall ${fmt(f.thickness.t_min, 2)} mm (min ${fmt(f.thickness.t_lim_min, 1)})`]);
  if (f.gap_size) out.push([f.gap_size.gap_min_chk !== false, `gap ${fmt(f.gap_size.gap_min, 2)} mm (min ${fmt(f.gap_size.gap_lim_min, 1)})`]);
  if (f.size) {
    const s = f.size;
    const range = s.size_lim_min !== undefined ? ` (${fmt(s.size_lim_min, 0)}–${fmt(s.size_lim_max, 0)} mm)` : '';
    out.push([s.size_min_chk !== false && s.size_max_chk !== false, `size ${fmt(s.size_min, 1)}–${fmt(s.size_max, 1)} mm${range}`]);
    out.push([Boolean(s.fits_mac), s.fits_mac ? 'fits the machine' : 'does not fit the machine']);
  }
  return out;
}

function renderCosts() {
  const report = state.report;
  const chains = chainsOf(report);
  const primary = report.primary_process_chain_id;
  $('lot').textContent = report.lot_size;
  $('nesting').textContent = report.process_chains[primary].nst_style === 'shared' ? 'shared with other orders' : 'the lot\'s own';
  const label = (c) => c.name;
  const feasible = (c) => c.process_chain_stat.feasible;
  barChart($('chart-cost'), chains.map((c) => ({ label: label(c), value: feasible(c) ? c.cost.cost_pp : null, highlight: c.process_chain_id === primary, note: c.infeasible_reason })), { unit: 'EUR', title: 'Cost per part' });
  barChart($('chart-lead'), chains.map((c) => ({ label: label(c), value: feasible(c) ? c.leadtime : null, highlight: c.process_chain_id === primary, note: c.infeasible_reason })), { unit: 'days', digits: 0, title: 'Lead time' });
  barChart($('chart-co2'), chains.map((c) => ({ label: label(c), value: feasible(c) ? c.co2.co2_pp : null, highlight: c.process_chain_id === primary, note: c.infeasible_reason })), { unit: 'kg CO2e', title: 'CO2 per part' });
  const tbody = $('chains').tBodies[0];
  tbody.replaceChildren();
  for (const c of chains) {
    const row = tbody.insertRow();
    row.dataset.chainId = c.process_chain_id;
    row.tabIndex = 0;
    const cells = [
      [c.name + (c.process_chain_id === primary ? ' (chosen)' : ''), 'name'],
      [c.machine_name, 'machine'],
      [feasible(c) ? 'yes' : `no: ${c.infeasible_reason || 'see checks'}`, `feasible ${feasible(c) ? 'yes' : 'no'}`],
      [fmt(c.cost.cost_pp), 'num cost-pp'],
      [fmt(c.cost.cost_pl), 'num cost-pl'],
      [feasible(c) ? fmt(c.leadtime, 0) : '–', 'num leadtime'],
      [fmt(c.co2.co2_pp, 3), 'num co2-pp'],
      [feasible(c) ? c.parts_pj : '–', 'num parts-pj'],
    ];
    for (const [text, cls] of cells) {
      const cell = row.insertCell();
      cell.textContent = String(text);
      cell.className = cls;
    }
    const flags = row.insertCell();
    const ul = document.createElement('ul');
    for (const [ok, text] of checks(c)) {
      const li = document.createElement('li');
      li.className = ok ? 'yes' : 'no';
      li.textContent = `${ok ? '✓' : '✗'} ${text}`;
      ul.append(li);
    }
    flags.append(ul);
    const choose = () => selectChain(c.process_chain_id);
    row.addEventListener('click', choose);
    row.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        choose();
      }
    });
  }
  selectChain(primary);
  const even = (report.process_chains[primary] || {}).break_even || {};
  const primaryName = (report.process_chains[primary] || {}).name || 'additive';
  // The conventional curve is the cheapest conventional route at each lot (it may change with the lot).
  const routes = [...new Set(even.conventional_at || [even.conventional_technology].filter(Boolean))];
  const rival = routes.length ? routes.join(' / ') : 'the conventional route';
  $('break-even-title').textContent = `Break-even: ${primaryName} against ${rival}, EUR per part by lot size`;
  lineChart(
    $('chart-break-even'),
    even.lot_sizes || [],
    [
      { label: primaryName, values: even.cost_pp || [], colour: '#0b5cad' },
      { label: routes.length > 1 ? 'cheapest conventional' : (routes[0] || 'conventional'), values: even.cost_pp_conventional || [], colour: '#8a5a00' },
    ],
    { xLabel: 'lot size (parts)', yLabel: 'EUR per part', mark: even.break_even_lot, title: 'Break-even curve' },
  );
}

function selectChain(chainId) {
  const chain = state.report.process_chains[chainId];
  document.querySelectorAll('#chains tbody tr').forEach((r) => r.setAttribute('aria-selected', String(r.dataset.chainId === chainId)));
  const bd = chain.cost_bd || {};
  $('breakdown-title').textContent = `Cost breakdown per part, EUR: ${chain.name}`;
  stackedBar($('chart-breakdown'), [
    { label: 'Pre-process', value: bd.cost_bd_pp_pre, colour: '#9ecae1' },
    { label: 'Machine', value: bd.cost_bd_pp_main, colour: '#3182bd' },
    { label: 'Material', value: bd.cost_bd_pp_mat, colour: '#fd8d3c' },
    { label: 'Post-process', value: bd.cost_bd_pp_post, colour: '#74c476' },
  ], { unit: 'EUR', title: `Cost breakdown of ${chain.name}` });
}

// ---- tabs ------------------------------------------------------------------------------------

const tabs = ['tab-model', 'tab-costs', 'tab-tray'];
function openTab(id) {
  for (const t of tabs) {
    const on = t === id;
    $(t).setAttribute('aria-selected', String(on));
    $(t).tabIndex = on ? 0 : -1;
    $($(t).getAttribute('aria-controls')).hidden = !on;
  }
  if (id === 'tab-model' && state.view) state.view.resize();
  if (id === 'tab-tray' && state.trayView) state.trayView.resize();
}
tabs.forEach((t, i) => {
  $(t).addEventListener('click', () => openTab(t));
  $(t).addEventListener('keydown', (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    openTab(next);
    $(next).focus();
  });
});

// ---- downloads of the report -----------------------------------------------------------------

const stem = () => String(state.report.basename || state.report.name || 'part').replace(/\.[^.]+$/, '');
$('download-json').addEventListener('click', () => {
  saveBlob(new Blob([JSON.stringify(state.report, null, 2)], { type: 'application/json' }), `${stem()}-analysis.json`);
});
$('download-xlsx').addEventListener('click', () => guarded(() => download(`/api/v1/analysisResult/${state.selected}/report.xlsx`, `${stem()}-analysis.xlsx`)));

// ---- tray (3D Print API flow) --------------------------------------------------------------------

let printerTypes = [];

async function renderTrayForm() {
  if (!printerTypes.length) printerTypes = await api('/api/v1/printdb/printertypes');
  const process = String(state.report.process_chains[state.report.primary_process_chain_id].prc_acronym).toUpperCase();
  $('tray-printer').replaceChildren(...printerTypes.map((p) => new Option(`${p.name} (${p.technology})`, p.id)));
  const match = printerTypes.find((p) => p.technology === process) || printerTypes[0];
  $('tray-printer').value = match.id;
  $('download-printable').disabled = true;
  $('download-supports').disabled = true;
  $('tray-facts').textContent = '';
  $('tray-state').textContent = '';
  state.tray = null;
  state.printable = null;
}

function trayProgress(fraction, text) {
  $('tray-progress').hidden = false;
  $('tray-progress').value = fraction;
  $('tray-state').textContent = text;
}

function matrixMm(transformCm) {
  return transformCm.map((row, i) => row.map((v, j) => (j === 3 && i < 3 ? v * 10 : v)));
}

async function displayOf(meshId) {
  const response = await api(`/api/v1/geom/meshes/${meshId}/display`, { raw: true });
  return parseDisplay(await response.arrayBuffer());
}

$('tray-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const part = state.parts.find((p) => p.part_id === state.selected);
  guarded(async () => {
    $('tray-prepare').disabled = true;
    try {
      const printer = printerTypes.find((p) => p.id === $('tray-printer').value);
      const copies = Math.max(1, Math.min(50, Number($('tray-copies').value) || 1));
      // One mesh per copy: a tray places each of its meshes once.
      const meshIds = [];
      for (let i = 0; i < copies; i += 1) {
        trayProgress(0.02 + (0.08 * i) / copies, `importing copy ${i + 1} of ${copies}`);
        const json = { file_id: part.file_id, name: copies > 1 ? `${part.name}-${i + 1}` : part.name, units: part.units || 'mm' };
        meshIds.push((await waitTask(await api('/api/v1/geom/meshes/import', { method: 'POST', json }))).id);
      }
      trayProgress(0.1, 'creating the tray');
      const created = await waitTask(await api('/api/v1/print/trays', {
        method: 'POST',
        json: { printer_type_id: printer.id, profile_id: printer.default_profile_id, default_material_id: printer.default_material_id, mesh_ids: meshIds },
      }));
      const tray = await waitTask(await api('/api/v1/print/trays/prepare', { method: 'POST', json: { id: created.id } }), (f, s) => trayProgress(0.15 + 0.6 * f, `preparing: ${s}`));
      trayProgress(0.8, 'exporting supports');
      const supports = await waitTask(await api('/api/v1/print/trays/export-support', { method: 'POST', json: { id: tray.id } }));
      state.tray = tray;
      state.supports = Object.values(supports || {});
      trayProgress(0.9, 'loading the meshes');
      const items = [];
      for (const mesh of tray.meshes) items.push({ display: await displayOf(mesh.id), matrix: matrixMm(mesh.transform), support: false });
      for (const mesh of state.supports) items.push({ display: await displayOf(mesh.id), matrix: matrixMm(mesh.transform), support: true });
      if (!state.trayView) state.trayView = new TrayView($('tray-viewport'));
      const bed = printer.build_volume.bed_size.map((v) => v * 10);
      state.trayView.show(bed, items, printer.build_volume.type === 'cylindrical');
      trayProgress(1, `tray ${tray.state}: ${tray.meshes.length} part(s) on ${printer.name}`);
      $('tray-facts').textContent = `Build volume ${bed.map((v) => fmt(v, 0)).join(' × ')} mm. ${(tray.notes || []).join(' ')}`;
      $('download-printable').disabled = false;
      $('download-supports').disabled = state.supports.length === 0;
    } finally {
      $('tray-prepare').disabled = false;
    }
  });
});

$('download-printable').addEventListener('click', () => guarded(async () => {
  trayProgress(0.1, 'generating the printable');
  const printable = await waitTask(await api('/api/v1/print/trays/generate-printable', { method: 'POST', json: { id: state.tray.id } }), (f) => trayProgress(f, 'generating the printable'));
  const files = await api('/api/v1/files');
  const file = files.find((f) => f.id === printable.file_id || f.file_id === printable.file_id) || {};
  const name = file.name || `tray-${state.tray.id.slice(0, 8)}`;
  await download(`/api/v1/files/${printable.file_id}`, name);
  const s = printable.summary || {};
  trayProgress(1, `printable ${name} saved${s.layers ? `: ${s.layers} layers` : ''}`);
}));

$('download-supports').addEventListener('click', () => guarded(async () => {
  for (const [i, mesh] of state.supports.entries()) {
    trayProgress(i / state.supports.length, 'exporting supports');
    const exported = await waitTask(await api('/api/v1/geom/meshes/export', { method: 'POST', json: { id: mesh.id, file_type: 'stl_binary' } }));
    await download(`/api/v1/files/${exported.file_id}`, `${mesh.name}.stl`);
  }
  trayProgress(1, 'supports saved');
}));

// ---- start -----------------------------------------------------------------------------------

if (signedIn()) showApp();
else showSignIn();
