// edit.js: live preview for the edit form (progressive enhancement: the form works without it).
// The preview is rendered by the server with the same renderer as the page view.
(function () {
  'use strict';
  var form = document.getElementById('edit-form');
  var text = document.getElementById('content');
  var box = document.getElementById('preview');
  if (!form || !text || !box || !window.fetch) return;
  var csrf = form.querySelector('input[name=csrf]');
  var timer = null, inflight = null, last = null;

  function refresh() {
    var body = text.value;
    if (body === last) return;
    last = body;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    var params = new URLSearchParams();
    params.set('content', body);
    params.set('csrf', csrf ? csrf.value : '');
    params.set('page', form.getAttribute('data-page') || '');
    fetch('/preview', { method: 'POST', body: params, credentials: 'same-origin', signal: inflight.signal })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; box.hidden = false; })
      .catch(function (e) { if (e && e.name === 'AbortError') return; box.hidden = true; });
  }
  text.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  refresh();
})();
