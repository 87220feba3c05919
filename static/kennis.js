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

  // The templates' boxes that scroll sideways (history, diff and blame tables, page data as
  // written) take the keyboard focus when they scroll, so they can be scrolled without a
  // mouse. The renderer makes its own code blocks and tables focusable (render.c), and names
  // task-list boxes there too.
  function focusableScrollers() {
    var boxes = document.querySelectorAll('.scroll, pre');
    for (var i = 0; i < boxes.length; i++) {
      var b = boxes[i];
      if (b.scrollWidth > b.clientWidth + 1 && !b.hasAttribute('tabindex')) b.setAttribute('tabindex', '0');
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    menu();
    markBareLinks();
    focusableScrollers();
  });
  window.kennis = { focusableScrollers: focusableScrollers };
})();
