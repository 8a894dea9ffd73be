// Measured in the page by tests/e2e/test_layout.py: how much wider than the window the page is,
// which table scrolls sideways or ends past the window, which key figure ([data-key]) is outside
// the window. Hidden elements (collapsed menus, folded cells) have no box and are skipped.
() => {
  const vw = window.innerWidth;
  const seen = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const name = (el) => {
    if (el.id) return "#" + el.id;
    const classes = typeof el.className === "string" ? el.className.trim().split(/\s+/) : [];
    return [el.tagName.toLowerCase(), ...classes.slice(0, 3)].join(".");
  };
  const out = {
    page: document.documentElement.scrollWidth,
    window: vw,
    tables: [],
    keys: [],
    keyCount: 0,
    // Rows of data (an empty list has one row of one cell saying so).
    rows: [...document.querySelectorAll("main table tbody tr")].filter(
      (tr) => tr.children.length > 1,
    ).length,
  };
  for (const table of document.querySelectorAll("main table")) {
    if (!seen(table)) continue;
    const where = table.closest("[id]");
    const label = name(table) + (where && where !== table ? " in #" + where.id : "");
    for (const el of [table, table.closest(".table-responsive")]) {
      if (el && el.scrollWidth > el.clientWidth + 1) {
        out.tables.push(`${label}: ${name(el)} scrolls ${el.scrollWidth - el.clientWidth} px`);
      }
    }
    const right = table.getBoundingClientRect().right;
    if (right > vw + 1) {
      out.tables.push(`${label}: ends ${Math.round(right - vw)} px past the window`);
    }
  }
  // A card body stretched by its card (h-100) leaves an empty block above what follows it: a
  // body with more than a footer after it must not grow, and must show no empty space.
  out.gaps = [];
  for (const body of document.querySelectorAll("main .card > .card-body:not(:last-child)")) {
    const last = body.lastElementChild;
    const next = body.nextElementSibling;
    if (!seen(body)) continue;
    const style = getComputedStyle(body);
    const onlyFooter = next.classList.contains("card-footer") && !next.nextElementSibling;
    if (!onlyFooter && style.flexGrow !== "0") {
      out.gaps.push(`${name(body)} in ${name(body.closest(".card").parentElement)} grows`);
    }
    const range = document.createRange();
    range.selectNodeContents(body);
    const content = range.getBoundingClientRect();
    const inner = body.getBoundingClientRect().bottom - parseFloat(style.paddingBottom);
    const margin = last ? parseFloat(getComputedStyle(last).marginBottom) : 0;
    const gap = inner - content.bottom - margin;
    if (content.height && gap > 8) {
      out.gaps.push(`${name(body)} in ${name(body.closest(".card").parentElement)}: ${Math.round(gap)} px empty`);
    }
  }
  for (const key of document.querySelectorAll("main [data-key]")) {
    if (!seen(key)) continue;
    out.keyCount += 1;
    const r = key.getBoundingClientRect();
    if (r.left < -1 || r.right > vw + 1) {
      const text = key.innerText.trim().slice(0, 20);
      out.keys.push(
        `${key.dataset.key} "${text}" at ${Math.round(r.left)}–${Math.round(r.right)} px`,
      );
    }
  }
  return out;
}
