// Read, in one pass, everything the per-page browser tests check (see conftest.py `observe`).
// Runs in the page once it is ready: math typeset, widgets rendered, images and fonts loaded.
() => {
  const visible = (el) =>
    el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true });
  const short = (text, n = 120) => (text.length > n ? text.slice(0, n) + "…" : text);
  const clean = (text) => (text || "").replace(/\s+/g, " ").trim();
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    const classes = [...el.classList].slice(0, 3);
    if (classes.length) s += "." + classes.join(".");
    return s;
  };

  // ---- Headings as a reader (or a screen reader) meets them: visible ones, in order.
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")]
    .filter(visible)
    .map((h) => {
      const copy = h.cloneNode(true);
      copy.querySelectorAll(".headerlink").forEach((a) => a.remove());
      return { level: Number(h.tagName[1]), text: short(clean(copy.textContent), 80) };
    });

  // ---- Math. Sphinx marks every formula with class "math"; MathJax 3 puts an
  // <mjx-container> inside it.
  const mathEls = [...document.querySelectorAll(".math")];
  const untypeset = mathEls.filter((m) => !m.querySelector("mjx-container"));
  const math = {
    elements: mathEls.length,
    typeset: mathEls.length - untypeset.length,
    containers: document.querySelectorAll("mjx-container").length,
    errors: [...document.querySelectorAll("mjx-merror, [data-mjx-error]")].map((e) =>
      short(clean(e.getAttribute("data-mjx-error") || e.textContent))),
    untypeset: untypeset.slice(0, 5).map((m) => short(clean(m.textContent))),
  };

  // ---- Raw TeX left in the visible text, outside code (where $ and \ are legitimate).
  const SKIP = "pre, code, kbd, samp, script, style, noscript, textarea, mjx-container, " +
    ".highlight, .jp-RenderedText, .output.text_plain, .output.stream";
  const RAW_TEX = [
    /\$\$/,
    /\\[()[\]]/,
    /\\(?:begin|end)\{/,
    /\\[A-Za-z]{2,}/,
    /\$[^$\n]{0,200}?[\\^_{}][^$\n]{0,200}?\$/,
  ];
  const rawTex = [];
  const seenParents = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.textContent.trim()) continue;
    if (!seenParents.has(parent)) {
      seenParents.set(parent, !parent.closest(SKIP) && visible(parent));
    }
    if (!seenParents.get(parent)) continue;
    const text = node.textContent;
    for (const re of RAW_TEX) {
      const m = re.exec(text);
      if (m) {
        const at = Math.max(0, m.index - 30);
        rawTex.push(`${describe(parent)}: …${clean(text.slice(at, m.index + m[0].length + 30))}…`);
        break;
      }
    }
  }

  // ---- Images (including those inside rendered widgets).
  const images = [...document.images].map((img) => ({
    src: short(img.currentSrc || img.src || "", 100),
    alt: img.getAttribute("alt"),
    loaded: img.complete && img.naturalWidth > 0,
    visible: visible(img),
    inWidget: img.closest(".widget-subarea") !== null,
  }));

  // ---- Links and anchor targets.
  const links = [...new Set([...document.querySelectorAll("a[href], area[href]")]
    .map((a) => a.href))];
  const ids = [...document.querySelectorAll("[id]")].map((e) => e.id)
    .concat([...document.querySelectorAll("a[name]")].map((a) => a.getAttribute("name")));

  // ---- Saved widgets: the state myst-nb embedded, and what each view shows.
  const states = [...document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-state+json"]')].map((s) => s.textContent);
  const labelOf = (el) => {
    if (el.matches(".widget-checkbox")) {  // ipywidgets 8 writes the description beside the box
      const beside = el.querySelector(":scope > label.widget-label-basic");
      if (beside) return clean(beside.textContent);
    }
    const label = el.querySelector(":scope > label.widget-label");
    return label && visible(label) ? clean(label.textContent) : label ? "" : null;
  };
  const KINDS = [
    [".widget-slider", "slider", (el) => clean(el.querySelector(".widget-readout")?.textContent)],
    [".widget-toggle-buttons", "toggle-buttons", (el) => {
      const active = [...el.querySelectorAll("button.mod-active")].map((b) => clean(b.textContent));
      return active.length === 1 ? active[0] : active;
    }],
    [".widget-dropdown", "dropdown", (el) => {
      const select = el.querySelector("select");
      return select && select.selectedIndex >= 0 ? clean(select.selectedOptions[0].textContent) : null;
    }],
    [".widget-radio", "radio", (el) => {
      const input = el.querySelector("input:checked");
      return input ? clean(input.closest("label")?.textContent) : null;
    }],
    [".widget-select", "select", (el) => {
      const select = el.querySelector("select");
      const chosen = select ? [...select.selectedOptions].map((o) => clean(o.textContent)) : [];
      return chosen.length === 1 ? chosen[0] : chosen;
    }],
    [".widget-html, .widget-htmlmath", "html",
      (el) => clean(el.querySelector(".widget-html-content")?.textContent)],
    ["div.widget-label", "label", (el) => clean(el.textContent)],
    [".widget-checkbox", "checkbox", (el) => !!el.querySelector("input")?.checked],
    [".widget-text, .widget-textarea", "text",
      (el) => el.querySelector("input, textarea")?.value ?? null],
    ["button.widget-button", "button", (el) => clean(el.textContent)],
    [".widget-output", "output", (el) => {
      const imgs = [...el.querySelectorAll("img")];
      return {
        images: imgs.length,
        broken_images: imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).length,
        text: el.textContent,
      };
    }],
  ];
  const selector = KINDS.map(([s]) => s).join(", ");
  const views = [...document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')].map((script) => {
    let modelId = null;
    try { modelId = JSON.parse(script.textContent).model_id; } catch (e) { /* reported below */ }
    const area = script.previousElementSibling;
    const rendered = !!area && area.classList.contains("widget-subarea") &&
      [...area.children].some((c) => c.getBoundingClientRect().height > 0);
    const controls = rendered ? [...area.querySelectorAll(selector)].map((el) => {
      const [, kind, read] = KINDS.find(([s]) => el.matches(s));
      return { kind, label: labelOf(el), shows: read(el) };
    }) : [];
    return { model_id: modelId, rendered, controls };
  });

  // ---- Horizontal scrolling of the page itself (phone viewport). Wide code, tables and
  // figures may scroll inside their own container; the body must not.
  const scroller = document.scrollingElement;
  const layout = { scrollWidth: scroller.scrollWidth, innerWidth: window.innerWidth, offenders: [] };
  if (scroller.scrollWidth > window.innerWidth + 1) {
    // Out of the page's flow (fixed, e.g. a closed drawer) or inside a box that scrolls or
    // clips on its own: such an element does not widen the page.
    const contained = (el) => {
      for (let p = el; p && p !== document.body; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (style.position === "fixed") return true;
        if (p !== el && style.overflowX !== "visible") return true;
      }
      return false;
    };
    const wide = [...document.body.querySelectorAll("*")].filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > window.innerWidth + 1 && visible(el) && !contained(el);
    });
    // Report the outermost offenders only.
    layout.offenders = wide.filter((el) => !wide.includes(el.parentElement)).slice(0, 8)
      .map((el) => `${describe(el)} (right edge at ${Math.round(el.getBoundingClientRect().right)}px)`);
  }

  return {
    title: document.title,
    url: location.href,
    text: clean((document.querySelector("article") || document.body).innerText),
    headings, math, rawTex, images, links, ids, states, views, layout,
  };
}
