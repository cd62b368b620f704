// What test_browser_reader.py checks, read from a page once it is ready: the contrast of the
// text a reader must read in widgets and tables, what is behind every figure, and (on a phone)
// whether the page, a code block or a figure is wider than the screen.
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  // Any CSS colour (rgb(), oklch(), color(srgb ...)) -> [r, g, b, a] in 0..255 / 0..1.
  const parse = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = "rgba(0, 0, 0, 0)";
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, bottom) => {  // alpha-composite colour `top` over opaque `bottom`
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
  };
  // The opaque colour behind an element: its own and its ancestors' backgrounds, composited.
  const background = (el) => {
    const layers = [];
    for (let p = el; p; p = p.parentElement) {
      const c = parse(getComputedStyle(p).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas behind the root, if nothing is opaque
    if (layers.length && layers[layers.length - 1][3] >= 1) colour = layers.pop();
    while (layers.length) colour = over(layers.pop(), colour);
    return colour;
  };
  const luminance = ([r, g, b]) => {
    const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const visible = (el) => el.checkVisibility({ visibilityProperty: true, opacityProperty: true });
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    const classes = [...el.classList].slice(0, 2);
    if (classes.length) s += "." + classes.join(".");
    return s;
  };
  const clean = (t) => (t || "").replace(/\s+/g, " ").trim();

  // ---- Text contrast: every element that itself holds text, inside a widget or a table.
  // Disabled controls are exempt (WCAG 1.4.3 exempts inactive user-interface components).
  const scopes = [...document.querySelectorAll(
    "article .widget-subarea, article table, article .cell_output")];
  const seen = new Set();
  const text = [];
  for (const scope of scopes) {
    for (const el of [scope, ...scope.querySelectorAll("*")]) {
      if (seen.has(el)) continue;
      seen.add(el);
      if (el.closest("mjx-container, svg, script, style")) continue;
      const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own.length || !visible(el)) continue;
      if (el.closest(":disabled, .mod-disabled, [aria-disabled='true']")) continue;
      const style = getComputedStyle(el);
      const bg = background(el);
      const fg = over(parse(style.color), bg);
      const size = parseFloat(style.fontSize);
      const bold = parseInt(style.fontWeight, 10) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      // A colour swatch (a legend's ■) is a graphic, not text: 3:1 (WCAG 1.4.11).
      const symbol = /^[\u2500-\u27bf\s]+$/.test(own.map((n) => n.textContent).join(""));
      text.push({
        where: describe(el),
        inWidget: el.closest(".widget-subarea") !== null,
        text: clean(own.map((n) => n.textContent).join(" ")).slice(0, 40),
        ratio: Math.round(ratio(fg, bg) * 100) / 100,
        needed: large || symbol ? 3 : 4.5,
      });
    }
  }

  // ---- Figures: what is behind them, and whether the page dims them.
  const figures = [...document.querySelectorAll(
    "article .cell_output img, article figure img, article .widget-subarea img")]
    .filter(visible)
    .map((img) => ({
      src: (img.currentSrc || img.src).slice(-60),
      ground: Math.round(luminance(background(img)) * 1000) / 1000,
      filter: getComputedStyle(img).filter,
    }));

  // ---- Layout on a narrow screen.
  const scroller = document.scrollingElement;
  const width = window.innerWidth;
  const code = [...document.querySelectorAll("article div.highlight pre")]
    .filter(visible)
    .filter((pre) => pre.scrollWidth > pre.clientWidth + 1)
    .map((pre) => `${describe(pre.parentElement)}: ${clean(pre.textContent).slice(0, 50)}`);
  const wideImages = [...document.querySelectorAll("article img")]
    .filter(visible)
    .filter((img) => img.getBoundingClientRect().right > width + 1)
    .map((img) => (img.currentSrc || img.src).slice(-60));

  return {
    theme: document.documentElement.dataset.theme,
    text,
    figures,
    layout: { scrollWidth: scroller.scrollWidth, innerWidth: width, code, wideImages },
  };
}
