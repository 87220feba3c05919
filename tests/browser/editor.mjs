// editor.mjs URL: the edit form in headless Chromium: unsaved-changes warning, Ctrl+S,
// the toolbar, files pasted and dropped into the text, [[ suggestions (laptop and phone),
// and the conflict screen (markers only around the clashing lines, both versions beside).
import { ok, note, launch, context, login, overflow, outDir, done, PHONE, LAPTOP } from './lib.mjs';

const base = process.argv[2];
const out = outDir('editor');
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAFklEQVR42mOQ67AlCTGMahjVMHw1AACQZeMBvHWNBgAAAABJRU5ErkJggg==';

const browser = await launch();
const contexts = [];
const value = page => page.inputValue('#content');
// Wait until fn() is true (polled), at most ms.
async function until(fn, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await fn()) return true; await new Promise(r => setTimeout(r, 50)); }
  return false;
}

try {
  const ctx = await context(browser, LAPTOP);
  contexts.push(ctx);
  const page = await ctx.newPage();
  const dialogs = [];
  let stay = true; // answer a beforeunload dialog with "stay on the page"
  page.on('dialog', d => { dialogs.push(d.type()); return stay ? d.dismiss() : d.accept(); });
  await login(page, base, 'eve');
  const eve = await ctx.storageState(); // later contexts start logged in

  // ---- unsaved changes and Ctrl+S ----
  await page.goto(base + '/edit/Notes/Call');
  await Promise.all([page.waitForURL('**/wiki/Notes/Call'), page.click('#cancel')]);
  ok(dialogs.length === 0, 'leaving the editor without changes does not ask');
  await page.goto(base + '/edit/Notes/Call');
  await page.locator('#content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nA line typed by the editor test.');
  await page.click('#cancel', { noWaitAfter: true });
  ok(await until(() => dialogs.includes('beforeunload')), 'leaving with changes asks first (beforeunload)', dialogs.join());
  await page.waitForTimeout(200);
  ok(page.url().endsWith('/edit/Notes/Call') && (await value(page)).includes('typed by the editor test'),
     'staying keeps the text', page.url());
  const asked = dialogs.length;
  await page.locator('#content').focus();
  await Promise.all([page.waitForURL('**/wiki/Notes/Call'), page.keyboard.press('Control+s')]);
  ok(true, 'Ctrl+S saves');
  ok(dialogs.length === asked, 'no warning when saving', dialogs.join());
  ok(await page.locator('article p', { hasText: 'A line typed by the editor test.' }).count() === 1, 'the saved text is on the page');

  // ---- toolbar ----
  await page.goto(base + '/edit/Notes/Toolbar-Test');
  ok(await page.locator('#toolbar').isVisible(), 'the toolbar is shown');
  async function act(md, text, s, e) {
    await page.evaluate(([t, a, b]) => {
      const el = document.getElementById('content');
      el.value = t;
      el.focus();
      el.setSelectionRange(a, b);
    }, [text, s, e]);
    await page.click(`#toolbar button[data-md=${md}]`);
    return page.evaluate(() => {
      const el = document.getElementById('content');
      return { v: el.value, sel: el.value.substring(el.selectionStart, el.selectionEnd) };
    });
  }
  const cases = [
    ['bold', 'a word here', 2, 6, 'a **word** here', 'word'],
    ['bold', 'a word here', 2, 7, 'a **word** here', 'word'],  // the blank after the word stays out
    ['bold', '', 0, 0, '**bold text**', 'bold text'],
    ['italic', 'a word', 2, 6, 'a _word_', 'word'],
    ['heading', 'Title', 2, 2, '## Title', ''],
    ['heading', '## Title', 0, 0, '### Title', ''],
    ['list', 'one\ntwo', 0, 7, '- one\n- two', '- one\n- two'],
    ['list', '- one', 0, 0, 'one', ''],
    ['link', 'kennis', 0, 6, '[kennis](https://)', 'https://'],
    ['link', 'see kennis now', 3, 11, 'see [kennis](https://) now', 'https://'],
    ['link', 'https://example.com', 0, 19, '[text](https://example.com)', 'text'],
    ['wikilink', 'Acme', 0, 4, '[[Acme]]', 'Acme'],
    ['code', 'x = 1', 0, 5, '`x = 1`', 'x = 1'],
    ['code', 'a\nb', 0, 3, '```\na\nb\n```\n', 'a\nb'],
    ['table', 'Text', 4, 4, 'Text\n\n| Column | Column |\n|--------|--------|\n| Cell   | Cell   |\n', 'Column'],
  ];
  for (const [md, text, s, e, want, sel] of cases) {
    const got = await act(md, text, s, e);
    ok(got.v === want && got.sel === sel, `toolbar ${md}: ${JSON.stringify(text)} -> ${JSON.stringify(want)}`, JSON.stringify(got));
  }
  await page.evaluate(() => { const el = document.getElementById('content'); el.value = 'bold me'; el.focus(); el.setSelectionRange(0, 4); });
  await page.keyboard.press('Control+b');
  ok(await value(page) === '**bold** me', 'Ctrl+B makes the selection bold', await value(page));
  await page.keyboard.press('Control+z');
  ok(await value(page) === 'bold me', 'Ctrl+Z undoes it', await value(page));

  // ---- paste and drop a file ----
  stay = false;
  await page.goto(base + '/edit/Notes/Call');
  await page.evaluate(png => {
    const el = document.getElementById('content');
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
    const bytes = Uint8Array.from(atob(png), c => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, PNG);
  ok(await until(async () => /!\[\]\(Call\/pasted-[0-9-]+\.png\)/.test(await value(page))), 'a pasted image is linked at the caret',
     await value(page));
  const pasted = (await value(page)).match(/!\[\]\(Call\/(pasted-[0-9-]+\.png)\)/)?.[1];
  let r = await page.request.get(`${base}/wiki/Notes/Call/${pasted}`);
  ok(r.status() === 200 && r.headers()['content-type'] === 'image/png', 'the pasted image is an attachment of the page',
     `${r.status()} ${r.headers()['content-type']}`);
  ok(await until(async () => page.locator(`#preview img[src="/wiki/Notes/Call/${pasted}"]`).evaluate(i => i.complete && i.naturalWidth === 16).catch(() => false)),
     'the preview shows the pasted image');
  ok(/Attached pasted-/.test(await page.locator('#edit-status').innerText()), 'the status line says it is attached');

  async function drop(name, type, body) {
    await page.evaluate(([n, t, b]) => {
      const el = document.getElementById('content');
      el.focus();
      const dt = new DataTransfer();
      dt.items.add(new File([b], n, { type: t }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [name, type, body]);
  }
  await drop('meeting notes.txt', 'text/plain', 'Minutes of the call.\n');
  ok(await until(async () => (await value(page)).includes('[meeting-notes.txt](Call/meeting-notes.txt)')),
     'a dropped file is uploaded and linked', await value(page));
  r = await page.request.get(`${base}/wiki/Notes/Call/meeting-notes.txt`);
  ok(r.status() === 200 && (await r.text()) === 'Minutes of the call.\n', 'the dropped file is stored as it was');
  await drop('tool.exe', 'application/octet-stream', 'MZ');
  ok(await until(async () => /Could not attach tool\.exe/.test(await page.locator('#edit-status').innerText())),
     'a refused file says why', await page.locator('#edit-status').innerText());
  ok(!(await value(page)).includes('uploading'), 'and leaves no placeholder behind');
  await page.screenshot({ path: `${out}/laptop-pasted.png` });
  await Promise.all([page.waitForURL('**/wiki/Notes/Call'), page.click('#save')]);
  ok(await page.locator(`article img[src="/wiki/Notes/Call/${pasted}"]`).evaluate(i => i.complete && i.naturalWidth === 16).catch(() => false),
     'the saved page shows the pasted image');

  // ---- [[ suggestions ----
  await page.goto(base + '/edit/Notes/Call');
  await page.locator('#content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\nSee [[acme');
  const list = page.locator('#complete-list');
  ok(await until(() => list.isVisible()), '[[ shows suggestions');
  ok(await list.locator('li[role=option]', { hasText: 'Acme Corp' }).count() === 1, 'the suggestion is the page that matches');
  await page.screenshot({ path: `${out}/laptop-suggestions.png` });
  await page.keyboard.press('Enter');
  ok((await value(page)).endsWith('See [[Customers/Acme Corp]]'), 'Enter inserts the link', (await value(page)).slice(-60));
  ok(!(await list.isVisible()), 'and closes the suggestions');
  await page.keyboard.type(' and [[the notes|glob');
  ok(await until(() => list.locator('li', { hasText: 'Support Notes' }).isVisible()), 'suggestions after a label');
  await list.locator('li', { hasText: 'Support Notes' }).click();
  ok((await value(page)).endsWith('[[the notes|Customers/Globex/Support Notes]]'), 'a click inserts the target after the label',
     (await value(page)).slice(-60));
  await page.keyboard.type(' ');
  await page.click('#toolbar button[data-md=wikilink]');
  await page.keyboard.type('wid');
  ok(await until(() => list.locator('li', { hasText: 'Wide Page' }).isVisible()), 'the [[ ]] button opens suggestions');
  await page.keyboard.press('Tab');
  ok((await value(page)).endsWith(' [[Wide Page]]'), 'choosing inside [[ ]] does not add a second ]]', (await value(page)).slice(-40));
  await page.keyboard.type(' [[nothing-like-this');
  await page.waitForTimeout(500);
  ok(!(await list.isVisible()), 'no match: no list');
  await page.keyboard.press('Escape');

  // ---- the conflict screen ----
  const lines = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`);
  await page.goto(base + '/edit/Notes/Ten-Lines');
  await page.fill('#content', lines.join('\n') + '\n');
  await Promise.all([page.waitForURL('**/wiki/Notes/Ten-Lines'), page.click('#save')]);
  await page.goto(base + '/edit/Notes/Ten-Lines');          // Eve starts editing ...
  const ada = await context(browser, LAPTOP);
  contexts.push(ada);
  const pa = await ada.newPage();
  await login(pa, base, 'ada');                              // ... while Ada saves line 3
  await pa.goto(base + '/edit/Notes/Ten-Lines');
  await pa.fill('#content', lines.map((l, i) => i === 2 ? 'line 3 by Ada' : l).join('\n') + '\n');
  await Promise.all([pa.waitForURL('**/wiki/Notes/Ten-Lines'), pa.click('#save')]);
  await page.fill('#content', lines.map((l, i) => i === 2 ? 'line 3 by Eve' : i === 7 ? 'line 8 by Eve' : l).join('\n') + '\n');
  const [resp] = await Promise.all([page.waitForResponse(res => res.request().method() === 'POST'), page.click('#save')]);
  await page.waitForLoadState();
  ok(resp.status() === 409 && await page.locator('#conflict-notice').isVisible(), 'a clash comes back as the conflict screen', resp.status());
  const merged = await value(page);
  const want = ['line 1', 'line 2', '<<<<<<< saved meanwhile', 'line 3 by Ada', '=======', 'line 3 by Eve', '>>>>>>> your edit',
                'line 4', 'line 5', 'line 6', 'line 7', 'line 8 by Eve', 'line 9', 'line 10', ''].join('\n');
  ok(merged === want, 'the form holds the merge: markers only around the clashing line, the other change merged', merged);
  ok((await page.locator('#mine').innerText()).includes('line 3 by Eve') && (await page.locator('#mine').innerText()).includes('line 8 by Eve'),
     'your version is shown beside it');
  ok((await page.locator('#theirs').innerText()).includes('line 3 by Ada'), 'the version saved meanwhile too');
  await page.screenshot({ path: `${out}/laptop-conflict.png`, fullPage: true });
  stay = true;
  const before = dialogs.length;
  await page.click('#cancel', { noWaitAfter: true });
  ok(await until(() => dialogs.length > before), 'leaving the conflict screen warns, even without a change');
  await page.waitForTimeout(200);
  await page.click('#save');
  await page.waitForTimeout(300);
  ok(page.url().endsWith('/edit/Notes/Ten-Lines') && /conflict markers/.test(await page.locator('#edit-status').innerText()),
     'saving with the markers still in asks to remove them first');
  await page.locator('button.use-version[data-from=mine]').click();
  ok(await value(page) === (await page.locator('#mine').innerText()), '"use this one" takes your version');
  stay = false;
  await Promise.all([page.waitForURL('**/wiki/Notes/Ten-Lines'), page.click('#save')]);
  const raw = await (await page.request.get(base + '/raw/Notes/Ten-Lines')).text();
  ok(raw.includes('line 3 by Eve') && raw.includes('line 8 by Eve') && !raw.includes('<<<<<<<'), 'saved again: no marker in the page', raw);

  // ---- the phone: suggestions stay on the screen ----
  const phone = await context(browser, PHONE, { hasTouch: true, isMobile: true, storageState: eve });
  contexts.push(phone);
  const pp = await phone.newPage();
  pp.on('dialog', d => d.accept());
  await pp.goto(base + '/edit/Notes/Call');
  await pp.locator('#content').click();
  await pp.keyboard.press('Control+End');
  await pp.keyboard.type('\nA line that reaches the right edge of the phone [[acme');
  const plist = pp.locator('#complete-list');
  ok(await until(() => plist.isVisible()), 'phone: suggestions are shown');
  const box = await plist.boundingBox();
  const o = await overflow(pp);
  ok(box && box.x >= 0 && box.x + box.width <= PHONE.width && o.ok, 'phone: the suggestions fit the screen', JSON.stringify({ box, o }));
  await pp.screenshot({ path: `${out}/phone-suggestions.png` });

  // ---- without JavaScript: a plain form that saves ----
  const nojs = await context(browser, LAPTOP, { javaScriptEnabled: false, storageState: eve });
  contexts.push(nojs);
  const pn = await nojs.newPage();
  await pn.goto(base + '/edit/Notes/Orphan');
  ok(!(await pn.locator('#toolbar').isVisible()), 'without JavaScript: no toolbar');
  await pn.fill('#content', '# Nobody links here\n\nSaved without JavaScript.\n');
  await Promise.all([pn.waitForURL('**/wiki/Notes/Orphan'), pn.click('#save')]);
  ok(await pn.locator('article p', { hasText: 'Saved without JavaScript.' }).count() === 1, 'without JavaScript: the form saves');

  // the refused upload (400) is the one error the browser logs on purpose
  const errors = contexts.flatMap(c => c.errors).filter(e => !(e.includes('status of 400') && e.includes('/upload/Notes/Call')));
  ok(errors.length === 0, 'no console errors or CSP violations', errors.join('\n'));
  note(`screenshots in ${out}`);
} catch (e) {
  ok(false, 'editor walk-through', e.stack || e);
} finally {
  await browser.close();
}
done();
