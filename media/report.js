// Token report webview. Runs under a strict CSP: no inline code, no remote content. Every element is built with DOM
// APIs and every piece of document text goes through textContent, never innerHTML.
// @ts-check
(function () {
  'use strict';
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const root = /** @type {HTMLElement} */ (document.getElementById('root'));

  /** @param {string} tag @param {Record<string, string|number>} [attrs] @param {string} [text] */
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** @param {string} tag @param {Record<string, string|number>} [attrs] */
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }

  /** Vertical bar chart. @param {{label: string, value: number, cls?: string, title: string}[]} bars */
  function barChart(bars, opts) {
    const w = Math.max(320, bars.length * (opts.barWidth + 2) + 40);
    const h = 160;
    const pad = { l: 36, b: 22, t: 8 };
    const max = Math.max(1, ...bars.map((b) => b.value));
    const s = svg('svg', { viewBox: `0 0 ${w} ${h}`, class: 'chart', role: 'img', 'aria-label': opts.label });
    s.appendChild(svg('line', { x1: pad.l, y1: h - pad.b, x2: w, y2: h - pad.b, class: 'axis' }));
    const tick = svg('text', { x: pad.l - 4, y: pad.t + 10, class: 'tick', 'text-anchor': 'end' });
    tick.textContent = opts.format ? opts.format(max) : String(max);
    s.appendChild(tick);
    const bw = (w - pad.l) / bars.length;
    bars.forEach((b, i) => {
      const bh = ((h - pad.b - pad.t) * b.value) / max;
      const r = svg('rect', {
        x: pad.l + i * bw + 1,
        y: h - pad.b - bh,
        width: Math.max(1, bw - 2),
        height: bh,
        class: 'bar ' + (b.cls || ''),
        tabindex: opts.onClick ? 0 : -1,
      });
      const t = svg('title');
      t.textContent = b.title;
      r.appendChild(t);
      if (opts.onClick) {
        r.addEventListener('click', () => opts.onClick(i));
        r.addEventListener('keydown', (e) => {
          if (/** @type {KeyboardEvent} */ (e).key === 'Enter') opts.onClick(i);
        });
      }
      s.appendChild(r);
      if (opts.showLabels && (bars.length <= 12 || i % Math.ceil(bars.length / 12) === 0)) {
        const lab = svg('text', { x: pad.l + i * bw + bw / 2, y: h - 6, class: 'tick', 'text-anchor': 'middle' });
        lab.textContent = b.label;
        s.appendChild(lab);
      }
    });
    return s;
  }

  function render(data) {
    root.replaceChildren();
    root.appendChild(el('h1', {}, data.title));
    const summary = el('p', { class: 'summary' });
    summary.textContent =
      `${data.tokens.toLocaleString()} tokens · perplexity ${Number.isFinite(data.perplexity) ? data.perplexity.toFixed(1) : '–'}` +
      ` · ${data.findings} findings`;
    root.appendChild(summary);

    const h1 = el('section');
    h1.appendChild(el('h2', {}, 'Surprisal histogram (bits per token)'));
    h1.appendChild(
      barChart(
        data.histogram.map((b) => ({
          label: b.to === null ? `${b.from}+` : String(b.from),
          value: b.count,
          cls: b.from >= 15 ? 'hot' : b.from >= 10 ? 'warm' : '',
          title: `${b.to === null ? `≥ ${b.from}` : `${b.from}–${b.to}`} bits: ${b.count} tokens`,
        })),
        { barWidth: 14, label: 'Surprisal histogram', showLabels: true },
      ),
    );
    root.appendChild(h1);

    const h2 = el('section');
    h2.appendChild(el('h2', {}, 'Rank of each token under the model (GLTR buckets)'));
    const total = Math.max(1, data.ranks.reduce((a, r) => a + r.count, 0));
    h2.appendChild(
      barChart(
        data.ranks.map((r, i) => ({
          label: r.label,
          value: r.count,
          cls: `rank${i}`,
          title: `${r.label}: ${r.count} tokens (${((100 * r.count) / total).toFixed(1)}%)`,
        })),
        { barWidth: 60, label: 'Rank buckets', showLabels: true },
      ),
    );
    root.appendChild(h2);

    const h3 = el('section');
    h3.appendChild(el('h2', {}, 'Perplexity per sentence'));
    if (data.sentences.length === 0) h3.appendChild(el('p', { class: 'muted' }, 'No sentences.'));
    else {
      const sorted = data.sentences.map((s) => s.perplexity).sort((a, b) => a - b);
      const p90 = sorted[Math.floor(0.9 * (sorted.length - 1))];
      h3.appendChild(
        barChart(
          data.sentences.map((s, i) => ({
            label: String(i + 1),
            value: s.perplexity,
            cls: s.perplexity >= p90 && data.sentences.length > 3 ? 'hot' : '',
            title: `Sentence ${i + 1} (line ${s.line + 1}): perplexity ${s.perplexity.toFixed(1)} over ${s.tokens} tokens\n${s.label}`,
          })),
          {
            barWidth: 8,
            label: 'Perplexity per sentence',
            format: (v) => v.toFixed(0),
            onClick: (i) => vscode.postMessage({ type: 'reveal', line: data.sentences[i].line }),
          },
        ),
      );
      const worst = data.sentences
        .map((s, i) => ({ ...s, i }))
        .sort((a, b) => b.perplexity - a.perplexity)
        .slice(0, 5);
      h3.appendChild(el('h3', {}, 'Least plausible sentences'));
      const ol = el('ol', { class: 'worst' });
      for (const s of worst) {
        const li = el('li');
        const a = el('a', { href: '#', title: `Go to line ${s.line + 1}` });
        a.textContent = s.label;
        a.addEventListener('click', (e) => {
          e.preventDefault();
          vscode.postMessage({ type: 'reveal', line: s.line });
        });
        li.appendChild(a);
        li.appendChild(el('span', { class: 'muted' }, ` perplexity ${s.perplexity.toFixed(1)}`));
        ol.appendChild(li);
      }
      h3.appendChild(ol);
    }
    root.appendChild(h3);
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'data') render(m.data);
    else if (m.type === 'empty') {
      root.replaceChildren(el('h1', {}, String(m.title)), el('p', { class: 'muted' }, 'This document has no scores yet.'));
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
