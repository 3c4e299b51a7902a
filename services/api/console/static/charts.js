// Small inline SVG charts: horizontal bars (top values), columns (histograms, rates over time). Each has a <title>
// and a text description for screen readers; the numbers are also in the chart as text.
import { el, number, percent } from "./ui.js";

const svg = (name, attributes = {}, ...children) => el(name, { ...attributes, svg: true }, ...children);

function chart(width, height, label, description) {
  const node = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  node.append(svg("title", { text: label }), svg("desc", { text: description }));
  return node;
}

const shorten = (text, size) => (text.length > size ? `${text.slice(0, size - 1)}…` : text);

// bars: [{label, value, share}]; `hot(bar)` marks a bar (e.g. one value in a fifth of the records).
export function barChart(bars, { label, hot = () => false, width = 420 }) {
  const row = 20;
  const labelWidth = 130;
  const room = width - labelWidth - 60;
  const top = Math.max(...bars.map((bar) => bar.share), 0.0001);
  const node = chart(width, bars.length * row + 4, label,
    bars.map((bar) => `${bar.label}: ${percent(bar.share, 1)}`).join("; "));
  bars.forEach((bar, i) => {
    const y = i * row + 2;
    const length = Math.max(1, (bar.share / top) * room);
    node.append(
      svg("text", { x: labelWidth - 6, y: y + 14, "text-anchor": "end", text: shorten(bar.label, 20) }),
      svg("rect", { class: hot(bar) ? "bar hot" : "bar", x: labelWidth, y: y + 2, width: length, height: row - 6 }),
      svg("text", { x: labelWidth + length + 4, y: y + 14, text: percent(bar.share, 1) }));
  });
  return node;
}

// columns: [{label, value}] drawn bottom-up; the first and last labels under the axis.
export function columnChart(columns, { label, width = 420, height = 140, format = (v) => number(v) }) {
  const node = chart(width, height + 30, label,
    columns.map((column) => `${column.label}: ${format(column.value)}`).join("; "));
  const top = Math.max(...columns.map((column) => column.value), 0) || 1;
  const step = width / Math.max(columns.length, 1);
  columns.forEach((column, i) => {
    const tall = (column.value / top) * (height - 16);
    node.append(svg("rect", { class: "bar", x: i * step + 1, y: height - tall, width: Math.max(step - 2, 1),
      height: tall }, svg("title", { text: `${column.label}: ${format(column.value)}` })));
  });
  node.append(svg("line", { class: "axis", x1: 0, y1: height + 0.5, x2: width, y2: height + 0.5 }),
    svg("text", { x: 0, y: height + 14, text: columns.length ? columns[0].label : "" }),
    svg("text", { x: width, y: height + 14, "text-anchor": "end",
      text: columns.length ? columns[columns.length - 1].label : "" }),
    svg("text", { x: 0, y: 11, text: `max ${format(top)}` }));
  return node;
}
