// edit.js: the edit form's helpers. Progressive enhancement: without them the form still
// edits and saves. What they add:
//  - a live preview, rendered by the server with the same renderer as the page view;
//  - a warning before leaving the page with unsaved changes (never after saving);
//  - Ctrl+S / Cmd+S saves; Ctrl+B, Ctrl+I, Ctrl+K: bold, italic, link;
//  - a toolbar that formats the selection;
//  - a file pasted or dropped into the text (or picked with "Attach") is uploaded as an
//    attachment of the page (POST /upload/PAGE) and linked where the caret is;
//  - typing [[ suggests page names (GET /complete?q=);
//  - on the conflict screen: "use this one" for either version, and a check for conflict
//    markers left in the text.
(function () {
  'use strict';
  var form = document.getElementById('edit-form');
  var text = document.getElementById('content');
  if (!form || !text || !window.fetch) return;
  var csrf = form.querySelector('input[name=csrf]');
  var page = form.getAttribute('data-page') || '';
  // the page's space: its addresses start with /s/NAME ('' for the wiki)
  var base = form.getAttribute('data-base') || '';
  var status = document.getElementById('edit-status');
  var conflict = form.hasAttribute('data-conflict');

  function encodePath(p) { return p.split('/').map(encodeURIComponent).join('/'); }
  function say(msg, isError) {
    if (!status) return;
    status.textContent = msg;
    status.classList.toggle('error', !!isError);
  }

  // Replace [start, end) of the text with s and select [start+a, start+b) of it. Goes
  // through execCommand where it works, so that Ctrl+Z undoes it; both ways fire "input"
  // (the preview and the [[ suggestions follow).
  function replace(start, end, s, a, b) {
    text.focus();
    text.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand('insertText', false, s); } catch (e) { done = false; }
    if (!done) {
      text.setRangeText(s, start, end, 'end');
      text.dispatchEvent(new Event('input', { bubbles: true }));
    }
    if (a !== undefined) text.setSelectionRange(start + a, start + (b === undefined ? a : b));
  }

  /* ---- live preview ---- */
  var box = document.getElementById('preview');
  var ptimer = null, pinflight = null, plast = null;
  // Relative links in the page are relative to /wiki/PAGE, not to /edit/PAGE.
  function fixRelative(root) {
    var pageURL = location.origin + base + '/wiki/' + encodePath(page);
    var els = root.querySelectorAll('img[src], a[href]');
    for (var i = 0; i < els.length; i++) {
      var attr = els[i].tagName === 'IMG' ? 'src' : 'href', v = els[i].getAttribute(attr);
      if (/^([a-z][a-z0-9+.-]*:|\/|#)/i.test(v)) continue;
      var u = new URL(v, pageURL);
      els[i].setAttribute(attr, u.pathname + u.search + u.hash);
    }
  }
  function refresh() {
    var body = text.value;
    if (!box || body === plast) return;
    plast = body;
    if (pinflight) pinflight.abort();
    pinflight = new AbortController();
    var params = new URLSearchParams();
    params.set('content', body);
    params.set('csrf', csrf ? csrf.value : '');
    params.set('page', page);
    fetch(base + '/preview', { method: 'POST', body: params, credentials: 'same-origin', signal: pinflight.signal })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        box.innerHTML = html;
        fixRelative(box);
        box.hidden = false;
      })
      .catch(function (e) { if (e && e.name === 'AbortError') return; box.hidden = true; });
  }
  text.addEventListener('input', function () {
    clearTimeout(ptimer);
    ptimer = setTimeout(refresh, 300);
  });
  refresh();

  /* ---- unsaved changes, saving ---- */
  var loaded = text.value, submitting = false, markersWarned = false;
  // On the conflict screen nothing of the user's is saved yet: leaving always warns.
  function unsaved() { return !submitting && (conflict || text.value !== loaded); }
  window.addEventListener('beforeunload', function (e) {
    if (!unsaved()) return;
    e.preventDefault();
    e.returnValue = '';
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) submitting = false; });
  var markers = /^(<{7}|>{7}) /m;
  form.addEventListener('submit', function (e) {
    if (conflict && !markersWarned && markers.test(text.value)) {
      e.preventDefault();
      markersWarned = true;
      say('The text still has conflict markers (lines starting with <<<<<<< or >>>>>>>). ' +
          'Keep what is right and delete the marker lines, or save again to save it as it is.', true);
      text.focus();
      return;
    }
    submitting = true;
  });
  function save() {
    var button = document.getElementById('save');
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }

  /* ---- formatting ---- */
  // Wrap the selection (without its surrounding blanks) in before/after; with nothing
  // selected, insert a placeholder and select it.
  function wrap(before, after, placeholder) {
    var s = text.selectionStart, e = text.selectionEnd, sel = text.value.substring(s, e);
    var lead = sel.match(/^\s*/)[0].length, trail = sel.length ? sel.match(/\s*$/)[0].length : 0;
    if (lead === sel.length) { lead = 0; trail = 0; }
    s += lead;
    e -= trail;
    var inner = text.value.substring(s, e) || placeholder;
    replace(s, e, before + inner + after, before.length, before.length + inner.length);
  }
  // Apply fn to every line the selection touches.
  function eachLine(fn) {
    var v = text.value, s = text.selectionStart, e = text.selectionEnd;
    if (e > s && v[e - 1] === '\n') e--;
    var ls = v.lastIndexOf('\n', s - 1) + 1, le = v.indexOf('\n', e);
    if (le < 0) le = v.length;
    var lines = v.substring(ls, le).split('\n'), many = lines.length > 1;
    var out = lines.map(function (l) { return many && !l.trim() ? l : fn(l); }).join('\n');
    if (many) replace(ls, le, out, 0, out.length);
    else replace(ls, le, out, out.length);
  }
  // Insert a block on lines of its own, a blank line before and after.
  function block(s, a, b) {
    var v = text.value, at = text.selectionStart, end = text.selectionEnd;
    var before = at === 0 ? '' : v.substring(Math.max(0, at - 2), at) === '\n\n' ? '' : v[at - 1] === '\n' ? '\n' : '\n\n';
    var after = end >= v.length ? '\n' : v.substring(end, end + 2) === '\n\n' ? '' : v[end] === '\n' ? '\n' : '\n\n';
    replace(at, end, before + s + after, before.length + a, before.length + b);
  }
  var actions = {
    bold: function () { wrap('**', '**', 'bold text'); },
    italic: function () { wrap('_', '_', 'italic text'); },
    heading: function () {
      eachLine(function (l) {
        var m = /^(#{1,6}) /.exec(l);
        return !m ? '## ' + l : m[1].length >= 6 ? l.replace(/^#+ /, '') : '#' + l;
      });
    },
    list: function () {
      eachLine(function (l) { return /^\s*[-*+] /.test(l) ? l.replace(/^(\s*)[-*+] /, '$1') : '- ' + l; });
    },
    link: function () {
      var s = text.selectionStart, e = text.selectionEnd, raw = text.value.substring(s, e), sel = raw.trim();
      if (sel) { s += raw.indexOf(sel); e = s + sel.length; } // blanks around stay outside
      if (/^(https?:\/\/|mailto:)\S+$/.test(sel)) replace(s, e, '[text](' + sel + ')', 1, 5);
      else {
        var label = sel || 'text';
        replace(s, e, '[' + label + '](https://)', label.length + 3, label.length + 11);
      }
    },
    wikilink: function () {
      var s = text.selectionStart, e = text.selectionEnd, sel = text.value.substring(s, e);
      if (sel && sel.indexOf('\n') < 0) replace(s, e, '[[' + sel + ']]', 2, 2 + sel.length);
      else replace(s, e, '[[]]', 2); // the caret between the brackets: suggestions open
    },
    table: function () {
      block('| Column | Column |\n|--------|--------|\n| Cell   | Cell   |', 2, 8);
    },
    code: function () {
      var s = text.selectionStart, e = text.selectionEnd, sel = text.value.substring(s, e);
      var v = text.value, lineEmpty = (s === 0 || v[s - 1] === '\n') && (s >= v.length || v[s] === '\n');
      if (sel.indexOf('\n') >= 0 || (!sel && lineEmpty)) block('```\n' + (sel || 'code') + '\n```', 4, 4 + (sel || 'code').length);
      else wrap('`', '`', 'code');
    },
    file: function () { picker.click(); },
  };
  var toolbar = document.getElementById('toolbar');
  if (toolbar) {
    toolbar.hidden = false;
    toolbar.addEventListener('click', function (e) {
      var b = e.target.closest('button[data-md]');
      if (b && actions[b.getAttribute('data-md')]) actions[b.getAttribute('data-md')]();
    });
  }
  document.addEventListener('keydown', function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
    var k = (e.key || '').toLowerCase();
    if (k === 's') { e.preventDefault(); save(); }
    else if (e.target === text && (k === 'b' || k === 'i' || k === 'k')) {
      e.preventDefault();
      actions[{ b: 'bold', i: 'italic', k: 'link' }[k]]();
    }
  });

  /* ---- attachments: paste, drop or pick a file ---- */
  var pasteCount = 0;
  function two(n) { return (n < 10 ? '0' : '') + n; }
  // Clipboard images are all called "image.png": give them a name of their own.
  function pastedName(file) {
    var ext = ((file.type.split('/')[1] || 'png').replace('jpeg', 'jpg').replace(/[^a-z0-9]/g, '')) || 'png';
    var d = new Date();
    return 'pasted-' + d.getFullYear() + two(d.getMonth() + 1) + two(d.getDate()) + '-' + two(d.getHours()) +
      two(d.getMinutes()) + two(d.getSeconds()) + (++pasteCount > 1 ? '-' + pasteCount : '') + '.' + ext;
  }
  // The server keeps the base name, blanks as '-', and refuses what a page name may not hold.
  function fileName(name) {
    return name.split(/[\\/]/).pop().replace(/\s+/g, '-').replace(/[\x00-\x1f\x7f:*?"<>|#%]/g, '-').replace(/^[.]+/, '');
  }
  function isImage(name) { return /\.(png|jpe?g|gif|webp)$/i.test(name); }
  function upload(file, pasted) {
    var name = pasted && (!file.name || /^image\.\w+$/.test(file.name)) ? pastedName(file) : fileName(file.name || 'file');
    var leaf = page.split('/').pop();
    var link = (isImage(name) ? '![]' : '[' + name.replace(/[\[\]]/g, '') + ']') + '(' + encodeURIComponent(leaf) + '/' + encodeURIComponent(name) + ')';
    var mark = '[uploading ' + name + ' \u2026]';
    var s = text.selectionStart, e = text.selectionEnd;
    var sep = s > 0 && !/\s/.test(text.value[s - 1]) ? ' ' : ''; // not glued to the word before
    replace(s, e, sep + mark, sep.length + mark.length);
    say('Uploading ' + name + ' \u2026');
    var fd = new FormData();
    fd.append('csrf', csrf ? csrf.value : '');
    fd.append('file', file, name);
    // The answer to a good upload is a redirect to the page: not followed.
    return fetch(base + '/upload/' + encodePath(page), { method: 'POST', body: fd, credentials: 'same-origin', redirect: 'manual' })
      .then(function (r) {
        if (r.type === 'opaqueredirect' || r.ok) return true;
        throw new Error(r.status === 413 ? 'the file is too large' : r.status === 400 ?
          'this name or type of file is not allowed here' : r.status === 403 ? 'you may not upload here (log in again?)' :
          'the server answered ' + r.status);
      })
      .catch(function (err) { say('Could not attach ' + name + ': ' + (err && err.message ? err.message : err), true); return false; })
      .then(function (good) {
        var at = text.value.indexOf(mark), keepS = text.selectionStart, keepE = text.selectionEnd;
        if (at < 0) return; // the user removed the placeholder meanwhile
        var put = good ? link : '';
        replace(at, at + mark.length, put);
        var shift = function (p) { return p >= at + mark.length ? p + put.length - mark.length : Math.min(p, at + put.length); };
        text.setSelectionRange(shift(keepS), shift(keepE));
        if (good) say('Attached ' + name + '.');
      });
  }
  function filesOf(dt) {
    var out = [];
    if (!dt) return out;
    if (dt.files && dt.files.length) for (var i = 0; i < dt.files.length; i++) out.push(dt.files[i]);
    else if (dt.items) for (var j = 0; j < dt.items.length; j++) {
      var f = dt.items[j].kind === 'file' ? dt.items[j].getAsFile() : null;
      if (f) out.push(f);
    }
    return out;
  }
  function hasFiles(dt) { return dt && Array.prototype.indexOf.call(dt.types || [], 'Files') >= 0; }
  text.addEventListener('paste', function (e) {
    var dt = e.clipboardData;
    // Office programs put a picture of the copied cells beside the text: paste the text.
    if (!dt || Array.prototype.indexOf.call(dt.types || [], 'text/html') >= 0) return;
    var files = filesOf(dt);
    if (!files.length) return;
    e.preventDefault();
    files.forEach(function (f) { upload(f, true); });
  });
  text.addEventListener('dragover', function (e) {
    if (!hasFiles(e.dataTransfer)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  text.addEventListener('drop', function (e) {
    var files = filesOf(e.dataTransfer);
    if (!files.length) return;
    e.preventDefault();
    files.forEach(function (f) { upload(f, false); });
  });
  var picker = document.createElement('input');
  picker.type = 'file';
  picker.multiple = true;
  picker.hidden = true;
  picker.setAttribute('aria-hidden', 'true');
  picker.tabIndex = -1;
  document.body.appendChild(picker);
  picker.addEventListener('change', function () {
    Array.prototype.forEach.call(picker.files, function (f) { upload(f, false); });
    picker.value = '';
  });

  /* ---- [[ suggestions ---- */
  var list = null, items = [], active = -1, ctimer = null, cinflight = null;
  text.setAttribute('aria-autocomplete', 'list');
  // The [[ link being typed at the caret: where its target starts, and the text so far.
  function wikiContext() {
    var pos = text.selectionStart;
    if (pos !== text.selectionEnd || pos < 2) return null;
    var v = text.value, open = v.lastIndexOf('[[', pos - 2);
    if (open < 0) return null;
    var typed = v.substring(open + 2, pos);
    if (/[\]\n[]/.test(typed) || typed.length > 100) return null;
    var bar = typed.lastIndexOf('|'), start = bar >= 0 ? open + 3 + bar : open + 2;
    return { start: start, end: pos, q: v.substring(start, pos) };
  }
  function close() {
    clearTimeout(ctimer);
    if (cinflight) cinflight.abort();
    cinflight = null;
    items = [];
    active = -1;
    if (list) list.hidden = true;
    text.removeAttribute('aria-activedescendant');
  }
  // Where the caret is on the page: a hidden copy of the textarea, measured.
  function caretPoint() {
    var cs = getComputedStyle(text), m = document.createElement('div');
    ['boxSizing', 'width', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft', 'borderTopWidth',
     'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth', 'borderStyle', 'fontFamily', 'fontSize', 'fontWeight',
     'fontStyle', 'letterSpacing', 'lineHeight', 'textTransform', 'wordSpacing', 'tabSize'].forEach(function (p) { m.style[p] = cs[p]; });
    m.className = 'caret-mirror';
    m.textContent = text.value.substring(0, text.selectionStart);
    var mark = document.createElement('span');
    mark.textContent = '\u200b';
    m.appendChild(mark);
    document.body.appendChild(m);
    var r = text.getBoundingClientRect();
    var p = { x: r.left + window.scrollX + mark.offsetLeft - text.scrollLeft,
              y: r.top + window.scrollY + mark.offsetTop - text.scrollTop + mark.offsetHeight };
    document.body.removeChild(m);
    return p;
  }
  function highlight() {
    if (!list) return;
    for (var i = 0; i < list.children.length; i++) list.children[i].setAttribute('aria-selected', i === active ? 'true' : 'false');
    if (active >= 0) {
      text.setAttribute('aria-activedescendant', 'complete-' + active);
      list.children[active].scrollIntoView({ block: 'nearest' });
    }
  }
  function show(pages) {
    if (!pages.length) { close(); return; }
    if (!list) {
      list = document.createElement('ul');
      list.id = 'complete-list';
      list.className = 'complete';
      list.setAttribute('role', 'listbox');
      list.setAttribute('aria-label', 'Pages');
      (form.closest('main') || document.body).appendChild(list);
      text.setAttribute('aria-controls', 'complete-list');
      list.addEventListener('mousedown', function (e) {
        var li = e.target.closest('li');
        e.preventDefault(); // keep the focus (and the caret) in the text
        if (li) choose(+li.getAttribute('data-i'));
      });
    }
    items = pages;
    active = 0;
    list.textContent = '';
    pages.forEach(function (p, i) {
      var li = document.createElement('li'), t = document.createElement('span'), n = document.createElement('span');
      li.id = 'complete-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('data-i', String(i));
      t.textContent = p.title;
      n.className = 'name';
      n.textContent = p.name;
      li.appendChild(t);
      li.appendChild(n);
      list.appendChild(li);
    });
    list.hidden = false;
    // page coordinates, less those of the list's positioned ancestor (if any)
    var at = caretPoint(), maxX = window.scrollX + document.documentElement.clientWidth - list.offsetWidth - 4;
    var op = list.offsetParent, ox = 0, oy = 0;
    if (op && op !== document.body && getComputedStyle(op).position !== 'static') {
      var r = op.getBoundingClientRect();
      ox = r.left + window.scrollX;
      oy = r.top + window.scrollY;
    }
    list.style.left = (Math.max(window.scrollX + 4, Math.min(at.x, maxX)) - ox) + 'px';
    list.style.top = (at.y + 2 - oy) + 'px';
    highlight();
  }
  function suggest() {
    var c = wikiContext();
    if (!c) { close(); return; }
    if (cinflight) cinflight.abort();
    var mine = cinflight = new AbortController();
    fetch(base + '/complete?q=' + encodeURIComponent(c.q), { credentials: 'same-origin', signal: mine.signal })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        var now = wikiContext();
        if (mine === cinflight && now && now.q === c.q) show(d.pages || []);
      })
      .catch(function () { /* no suggestions: typing goes on as before */ });
  }
  function choose(i) {
    var p = items[i], c = wikiContext();
    close();
    if (!p || !c) return;
    // [[Customers/Acme Corp]] reads better and links the same as [[Customers/Acme-Corp]]
    var target = p.name.indexOf('--') >= 0 ? p.name : p.name.replace(/-/g, ' ');
    var closed = text.value.substring(c.end, c.end + 2) === ']]';
    replace(c.start, c.end, target + (closed ? '' : ']]'));
    if (closed) text.setSelectionRange(c.start + target.length + 2, c.start + target.length + 2);
    close();
  }
  text.addEventListener('input', function () {
    clearTimeout(ctimer);
    if (!wikiContext()) { close(); return; }
    ctimer = setTimeout(suggest, 120);
  });
  text.addEventListener('keydown', function (e) {
    if (!list || list.hidden || !items.length) return;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      highlight();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      e.preventDefault();
      choose(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });
  text.addEventListener('blur', close);
  text.addEventListener('click', function () { if (!wikiContext()) close(); });

  /* ---- conflict screen: take one version as it is ---- */
  var uses = document.querySelectorAll('button.use-version');
  for (var i = 0; i < uses.length; i++) {
    uses[i].hidden = false;
    uses[i].addEventListener('click', function (e) {
      var from = document.getElementById(e.currentTarget.getAttribute('data-from'));
      if (!from) return;
      replace(0, text.value.length, from.textContent, 0);
      text.scrollTop = 0;
    });
  }
})();
