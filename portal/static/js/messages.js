/* Messages: a count of the characters left under the subject and message boxes (ES5, for old
   browsers too). Without this script each box's hint states its limit and the browser's
   maxlength holds it. The visible count follows every key; screen readers hear it through a
   polite live region once typing pauses, not on every key. The words come from the page
   (data-char-text, translated there), with %(num)s for the number. */
(function () {
  "use strict";
  if (!document.querySelectorAll || !document.addEventListener) { return; }

  function attach(input) {
    var limit = parseInt(input.getAttribute("data-char-limit"), 10);
    var words = input.getAttribute("data-char-text");
    if (!limit || !words || !input.id) { return; }
    var shown = document.createElement("p");
    var spoken = document.createElement("p");
    var timer = null;
    shown.className = "hint char-count";
    shown.id = input.id + "-count";
    shown.setAttribute("aria-hidden", "true");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(shown, input.nextSibling);
    input.parentNode.insertBefore(spoken, shown.nextSibling);

    function text() {
      // A new line counts once, as the browser's maxlength and the portal count it.
      var used = input.value.replace(/\r\n/g, "\n").length;
      return words.replace("%(num)s", String(Math.max(0, limit - used)));
    }
    function update() {
      shown.textContent = text();
      if (timer) { window.clearTimeout(timer); }
      timer = window.setTimeout(function () { spoken.textContent = text(); }, 1000);
    }
    shown.textContent = text();
    input.addEventListener("input", update, false);
    input.addEventListener("keyup", update, false);  // IE 11 misses some input events
  }

  var inputs = document.querySelectorAll("[data-char-limit]");
  for (var i = 0; i < inputs.length; i += 1) { attach(inputs[i]); }
}());
