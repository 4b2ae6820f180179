// What the staff panels share: element lookups, SVG elements, date and number formats, state badges, the
// notice line, and how a table says "nothing" and a panel says its load failed.
import { el } from "/common/dom.js";

export const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

export function notice(text, kind = "info") {
  const box = $("notice");
  box.hidden = !text;
  box.textContent = text || "";
  box.dataset.kind = kind;
}

export function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });
export const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
export const fmtDateTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "—");
export const fmtDate = (iso) => (iso ? dateOnly.format(new Date(iso)) : "—");
// In a table cell: no year when it is this year's.
export const fmtShortDate = (iso) => {
  if (!iso) return "—";
  const when = new Date(iso);
  return when.getFullYear() === new Date().getFullYear() ? dayMonth.format(when) : dateOnly.format(when);
};
export const pct = (value, digits = 1) => (value === null || value === undefined ? "n/a" : `${(100 * value).toFixed(digits)} %`);
export const words = (code) => String(code ?? "").replaceAll("_", " ");

export function stateBadge(state) {
  return el("span", { class: "state", dataset: { state } }, words(state));
}

export function emptyRow(table, text) {
  const columns = table.querySelectorAll("thead th").length;
  table.tBodies[0].replaceChildren(el("tr", { class: "empty" }, el("td", { colspan: columns }, text)));
}

export function failed(panel, error) {
  const box = panel.querySelector(".meta") || panel;
  box.textContent = error.status === 403 ? "Your account may not see this panel." : `Could not load: ${error.message}`;
  panel.dataset.loaded = "error";
}
