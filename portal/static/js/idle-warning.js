/* Warn shortly before the portal signs a person out for inactivity, and let them stay.
   Both times come from data- attributes the base template sets (data-idle-seconds from
   services/sessions.IDLE_TIMEOUT, data-warn-seconds from web/filters.IDLE_WARNING).
   ES5 only (IE 11); optional: without it the server still ends idle sessions. */
(function () {
  'use strict';
  var box = document.getElementById('idle-warning');
  if (!box || !window.XMLHttpRequest) { return; }
  var idleSeconds = parseInt(box.getAttribute('data-idle-seconds'), 10);
  var warnSeconds = parseInt(box.getAttribute('data-warn-seconds'), 10);
  if (isNaN(idleSeconds) || isNaN(warnSeconds)) { return; }
  var button = document.getElementById('idle-warning-stay');
  var warnTimer = null;
  var endTimer = null;

  function hide() {
    box.className = box.className.replace(/\s*is-visible/g, '');
  }

  function show() {
    if (box.className.indexOf('is-visible') === -1) { box.className += ' is-visible'; }
    button.focus();
  }

  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(show, (idleSeconds - warnSeconds) * 1000);
    // After the time-out, reloading shows the server's own "you were signed out" page.
    endTimer = window.setTimeout(function () { window.location.reload(); }, (idleSeconds + 5) * 1000);
  }

  function stay() {
    var request = new XMLHttpRequest();
    request.open('POST', box.getAttribute('data-keep-alive-url'), true);
    request.setRequestHeader('X-CSRFToken', box.getAttribute('data-csrf-token'));
    request.onreadystatechange = function () {
      if (request.readyState !== 4) { return; }
      if (request.status === 204) { hide(); schedule(); } else { window.location.reload(); }
    };
    request.send();
  }

  button.onclick = stay;
  schedule();
}());
