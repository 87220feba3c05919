// comforts.mjs URL: page comforts in headless Chromium on a page with headings, code, a
// footnote and tasks: the contents (in the sidebar at 1280 px, folded at 390 px), heading
// anchors (shown on hover and focus, a click sets the address's #), coloured code
// (language-x, tokens in colours readable in light and dark), no sideways scrolling at
// 390 px with a long code line, no console error or CSP violation.
import { ok, note, launch, context, login, overflow, smallTargets, outDir, done, PHONE, LAPTOP } from './lib.mjs';

const base = process.argv[2];
const out = outDir('comforts');
const URL_PAGE = base + '/wiki/Notes/Handbook';
const hash = page => new URL(page.url()).hash;
// Is the element at the top of the window, or the window scrolled as far as it goes?
const atTop = (page, sel) => page.locator(sel).evaluate(e => {
  const top = e.getBoundingClientRect().top, end = window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
  return { ok: top >= 0 && (top < 120 || (end && window.scrollY > 0)), top: Math.round(top), scrollY: window.scrollY };
});

// WCAG contrast of an element's text colour against the code box's background.
const contrasts = page => page.evaluate(() => {
  const rgb = s => s.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const res = {};
  for (const s of document.querySelectorAll('article pre [class^="hl-"]')) {
    let bgEl = s;
    while (bgEl && getComputedStyle(bgEl).backgroundColor.match(/rgba\(.*, 0\)|transparent/)) bgEl = bgEl.parentElement;
    const r = ratio(rgb(getComputedStyle(s).color), rgb(getComputedStyle(bgEl).backgroundColor));
    res[s.className] = Math.min(res[s.className] ?? 99, Math.round(r * 100) / 100);
  }
  return res;
});

const browser = await launch();
const contexts = [];
try {
  // --- a laptop: the contents in the sidebar, anchors on hover and focus
  const ctx = await context(browser, LAPTOP);
  contexts.push(ctx);
  const page = await ctx.newPage();
  await login(page, base, 'ada');
  const session = await ctx.storageState();
  await page.goto(URL_PAGE);
  const side = page.locator('nav.toc-side#toc');
  ok(await side.isVisible(), 'laptop: the contents are in the sidebar');
  ok(!(await page.locator('details.toc-inline').isVisible()), 'laptop: the folded contents are not shown');
  const entries = await side.locator('a').allTextContents();
  ok(entries.join('|') === 'Support handbook|Setup|Scripts|Contacts|Out of hours', 'laptop: the contents list the headings in order',
     entries.join('|'));
  await side.locator('a', { hasText: 'Contacts' }).click();
  ok(hash(page) === '#contacts', `laptop: a contents link sets the address's # (${hash(page)})`);
  const at = await atTop(page, 'h2#contacts');
  ok(at.ok, 'laptop: ... and scrolls the heading into view', JSON.stringify(at));

  const anchor = page.locator('a.anchor[href="#scripts"]');
  const opacity = () => anchor.evaluate(e => getComputedStyle(e).opacity);
  await page.mouse.move(0, 0);
  ok(await opacity() === '0', 'laptop: a heading anchor is hidden until wanted');
  await page.locator('h2#scripts').hover();
  ok(await opacity() === '1', 'laptop: hovering the heading shows its # link');
  await page.mouse.move(0, 0);
  await anchor.focus();
  ok(await opacity() === '1', 'laptop: keyboard focus shows it too');
  ok(await anchor.getAttribute('aria-label') === 'Link to this section: Scripts', 'laptop: the # link is named after its heading');
  await page.locator('h2#scripts').hover();
  await anchor.click();
  ok(hash(page) === '#scripts', `laptop: clicking the # link sets the address's # (${hash(page)})`);
  // the link works from a fresh load too
  await page.goto(URL_PAGE + '#out-of-hours');
  const at2 = await atTop(page, 'h3#out-of-hours');
  ok(at2.ok, 'laptop: an address with #id opens at the heading', JSON.stringify(at2));

  // --- coloured code
  await page.goto(URL_PAGE);
  const langs = await page.locator('article pre > code').evaluateAll(cs => cs.map(c => c.className));
  ok(['language-sh', 'language-python', 'language-json'].every(l => langs.includes(l)), 'code has class language-x', langs.join(' '));
  const colours = await page.evaluate(() => {
    const code = document.querySelector('code.language-python'), base = getComputedStyle(code).color;
    return [...code.querySelectorAll('span[class^="hl-"]')].map(s => ({ k: s.className, c: getComputedStyle(s).color, base }));
  });
  const kinds = new Set(colours.filter(x => x.c !== x.base).map(x => x.k));
  ok(['hl-keyword', 'hl-string', 'hl-comment', 'hl-number', 'hl-literal'].every(k => kinds.has(k)),
     `the tokens are coloured (${[...kinds].join(' ')})`);
  ok(await page.locator('input.task').evaluateAll(bs => bs.length === 2 && bs.every(b => b.getAttribute('aria-label').length > 3)),
     'task boxes are named after their item');
  await page.locator('sup.footnote-ref a').click();
  ok(hash(page) === '#fn-sla', `a footnote reference leads to the note (${hash(page)})`);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    const c = await contrasts(page);
    const low = Object.entries(c).filter(([, r]) => r < 4.5);
    ok(Object.keys(c).length >= 6 && low.length === 0, `${scheme}: every token colour has 4.5:1 contrast on the code box`,
       JSON.stringify(c));
    await page.screenshot({ path: `${out}/laptop-${scheme}.png`, fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // --- a phone: the contents folded above the text; nothing scrolls the page sideways
  const phone = await context(browser, PHONE, { storageState: session });
  contexts.push(phone);
  const pp = await phone.newPage();
  await pp.goto(URL_PAGE);
  const folded = pp.locator('details.toc-inline#toc-inline');
  ok(await folded.isVisible() && !(await pp.locator('nav.toc-side').isVisible()), 'phone: the contents are above the text, not in a sidebar');
  ok(!(await folded.evaluate(d => d.open)), 'phone: the contents start folded');
  ok(!(await folded.locator('a').first().isVisible()), 'phone: ... their links hidden');
  await folded.locator('summary').click();
  ok(await folded.evaluate(d => d.open) && await folded.locator('a').first().isVisible(), 'phone: a tap unfolds them');
  const small = await smallTargets(pp, 'details.toc-inline summary, details.toc-inline a');
  ok(small.length === 0, 'phone: the contents are 44 px tap targets', small.join('\n'));
  await pp.screenshot({ path: `${out}/phone-contents-open.png` });
  await folded.locator('a', { hasText: 'Scripts' }).click();
  ok(hash(pp) === '#scripts', `phone: a contents link sets the address's # (${hash(pp)})`);
  await pp.locator('summary').click();
  const o = await overflow(pp);
  ok(o.ok, `phone: the page with a long code line fits the width (${o.scrollWidth} <= ${o.width})`, o.culprits);
  const box = await pp.locator('code.language-sh').evaluate(c => {
    const pre = c.parentElement;
    return { scrolls: pre.scrollWidth > pre.clientWidth, tabindex: pre.getAttribute('tabindex') };
  });
  ok(box.scrolls && box.tabindex === '0', 'phone: the long code line scrolls in its own box, which takes the focus', JSON.stringify(box));
  await pp.emulateMedia({ colorScheme: 'dark' });
  const o3 = await overflow(pp);
  ok(o3.ok, 'phone, dark: still fits the width', o3.culprits);
  await pp.screenshot({ path: `${out}/phone-dark.png`, fullPage: true });

  const errors = contexts.flatMap(c => c.errors);
  ok(errors.length === 0, 'no console errors or CSP violations', errors.join('\n'));
  note(`screenshots in ${out}`);
} catch (e) {
  ok(false, 'page comforts walk-through', e.stack || e);
} finally {
  await browser.close();
}
done();
