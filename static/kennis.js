// kennis.js: small enhancements for every page; the site works without them.
// Loaded in <head> without defer, so the "js" class is on <html> before the first paint
// and the small-screen menu starts folded instead of flashing open.
(function () {
  'use strict';
  var root = document.documentElement;
  root.classList.add('js');

  function menu() {
    var header = document.querySelector('header.top');
    var button = document.getElementById('menu-toggle');
    if (!header || !button) return;
    function set(open) {
      header.classList.toggle('open', open);
      button.setAttribute('aria-expanded', open ? 'true' : 'false');
    }
    button.addEventListener('click', function () {
      set(button.getAttribute('aria-expanded') !== 'true');
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && header.classList.contains('open')) {
        set(false);
        button.focus();
      }
    });
  }

  // A link whose text is its address needs no "(address)" after it on paper.
  function markBareLinks() {
    var links = document.querySelectorAll('.markdown a[href]');
    for (var i = 0; i < links.length; i++) {
      var a = links[i], t = a.textContent.trim();
      if (t === a.getAttribute('href') || 'mailto:' + t === a.getAttribute('href')) a.classList.add('bare');
    }
  }

  // Boxes that scroll sideways (wide tables, long code lines) take the keyboard focus, so
  // they can be scrolled without a mouse.
  function focusableScrollers() {
    var boxes = document.querySelectorAll('.markdown pre, .markdown table, .scroll, pre');
    for (var i = 0; i < boxes.length; i++) {
      var b = boxes[i];
      if (b.scrollWidth > b.clientWidth + 1 && !b.hasAttribute('tabindex')) b.setAttribute('tabindex', '0');
    }
  }

  // The renderer's task-list checkboxes have no label; name them after their item.
  function labelTasks() {
    var boxes = document.querySelectorAll('.markdown li > input[type=checkbox]:not([aria-label])');
    for (var i = 0; i < boxes.length; i++) {
      var t = boxes[i].parentNode.textContent.trim().replace(/\s+/g, ' ').slice(0, 200);
      boxes[i].setAttribute('aria-label', t || 'task');
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    menu();
    markBareLinks();
    focusableScrollers();
    labelTasks();
  });
  window.kennis = { labelTasks: labelTasks, focusableScrollers: focusableScrollers };
})();
