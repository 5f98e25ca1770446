// Small SVG charts: each has a text alternative (aria-label and <title> per mark), numbers are
// also in the chains table.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(width, height, label) {
  return el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label });
}

export function fmt(value, digits = 2) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Horizontal bars; items: {label, value (null: not feasible), highlight, note}. */
export function barChart(container, items, { unit, digits = 2, title }) {
  const rowH = 24;
  const labelW = 170;
  const width = 400;
  const height = items.length * rowH + 8;
  const max = Math.max(...items.map((i) => i.value || 0), 1e-9);
  const summary = items.map((i) => `${i.label}: ${i.value === null ? 'not feasible' : `${fmt(i.value, digits)} ${unit}`}`).join('; ');
  const chart = svg(width, height, `${title}. ${summary}`);
  items.forEach((item, row) => {
    const y = 4 + row * rowH;
    const g = el('g');
    g.append(el('title', {}, `${item.label}: ${item.value === null ? `not feasible${item.note ? ` (${item.note})` : ''}` : `${fmt(item.value, digits)} ${unit}`}`));
    g.append(el('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end' }, item.label));
    if (item.value === null) {
      g.append(el('text', { x: labelW + 4, y: y + 14, fill: '#b3261e' }, 'not feasible'));
    } else {
      const w = Math.max(1, ((width - labelW - 70) * item.value) / max);
      g.append(el('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 2, fill: item.highlight ? '#0b5cad' : '#7fa7cf' }));
      g.append(el('text', { x: labelW + w + 4, y: y + 14 }, fmt(item.value, digits)));
    }
    chart.append(g);
  });
  container.replaceChildren(chart);
}

/** One stacked bar with a legend; parts: {label, value, colour}. */
export function stackedBar(container, parts, { unit, title }) {
  const width = 420;
  const total = parts.reduce((sum, p) => sum + (p.value || 0), 0);
  const summary = parts.map((p) => `${p.label} ${fmt(p.value)} ${unit}`).join(', ');
  const chart = svg(width, 30 + parts.length * 18, `${title}: ${summary}; total ${fmt(total)} ${unit}`);
  let x = 0;
  parts.forEach((p, i) => {
    const w = total > 0 ? ((p.value || 0) / total) * width : 0;
    const rect = el('rect', { x, y: 0, width: w, height: 20, fill: p.colour });
    rect.append(el('title', {}, `${p.label}: ${fmt(p.value)} ${unit} (${fmt(total ? (100 * p.value) / total : 0, 1)} %)`));
    chart.append(rect);
    x += w;
    chart.append(el('rect', { x: 0, y: 28 + i * 18, width: 12, height: 12, fill: p.colour }));
    chart.append(el('text', { x: 18, y: 38 + i * 18 }, `${p.label}: ${fmt(p.value)} ${unit} (${fmt(total ? (100 * p.value) / total : 0, 1)} %)`));
  });
  container.replaceChildren(chart);
}

/** Lines over a log x axis; series: {label, values, colour}; `mark` draws a vertical line at x. */
export function lineChart(container, xs, series, { xLabel, yLabel, mark, title }) {
  const width = 860;
  const height = 300;
  const pad = { l: 70, r: 20, t: 14, b: 42 };
  const values = series.flatMap((s) => s.values).filter((v) => v > 0 && Number.isFinite(v));
  const chart = svg(width, height, title);
  if (!xs.length || !values.length) {
    chart.append(el('text', { x: 20, y: 40 }, 'No conventional route to compare against for this material.'));
    container.replaceChildren(chart);
    return;
  }
  const lx = xs.map(Math.log10);
  const [x0, x1] = [Math.min(...lx), Math.max(...lx)];
  const ly = values.map(Math.log10);
  const [y0, y1] = [Math.floor(Math.min(...ly)), Math.ceil(Math.max(...ly))];
  const px = (x) => pad.l + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * (width - pad.l - pad.r);
  const py = (y) => height - pad.b - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * (height - pad.t - pad.b);
  for (let e = y0; e <= y1; e += 1) {
    const y = py(10 ** e);
    chart.append(el('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, stroke: '#d5dbe3' }));
    chart.append(el('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end' }, fmt(10 ** e, e < 0 ? -e : 0)));
  }
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e += 1) {
    const x = px(10 ** e);
    chart.append(el('line', { x1: x, x2: x, y1: pad.t, y2: height - pad.b, stroke: '#d5dbe3' }));
    chart.append(el('text', { x, y: height - pad.b + 16, 'text-anchor': 'middle' }, fmt(10 ** e, 0)));
  }
  chart.append(el('text', { x: (pad.l + width) / 2, y: height - 6, 'text-anchor': 'middle' }, xLabel));
  chart.append(el('text', { x: 14, y: height / 2, transform: `rotate(-90 14 ${height / 2})`, 'text-anchor': 'middle' }, yLabel));
  series.forEach((s, i) => {
    const points = xs.map((x, k) => `${px(x)},${py(s.values[k])}`).join(' ');
    const line = el('polyline', { points, fill: 'none', stroke: s.colour, 'stroke-width': 2.5 });
    line.append(el('title', {}, `${s.label}: ${xs.map((x, k) => `${x} parts ${fmt(s.values[k])} EUR`).join(', ')}`));
    chart.append(line);
    chart.append(el('rect', { x: pad.l + 10, y: pad.t + 4 + i * 18, width: 12, height: 4, fill: s.colour }));
    chart.append(el('text', { x: pad.l + 28, y: pad.t + 10 + i * 18 }, s.label));
  });
  if (mark) {
    const x = px(mark);
    chart.append(el('line', { x1: x, x2: x, y1: pad.t, y2: height - pad.b, stroke: '#b3261e', 'stroke-dasharray': '5 4' }));
    chart.append(el('text', { x: x + 4, y: pad.t + 50, fill: '#b3261e' }, `break-even ≈ ${mark} parts`));
  }
  container.replaceChildren(chart);
}
