/* The staff conversation page: "Use this saved reply" puts the chosen saved reply into the
   reply box in place, where the cursor is, keeping what was already typed. ES5 (IE 11) and
   optional: without it the picker is a GET form (?template=ID) whose page comes back with
   the saved reply in the box. Each <option> carries its text in data-body. */
(function () {
  'use strict';
  if (!document.querySelectorAll) { return; }
  var pickers = document.querySelectorAll('form.saved-replies');

  function insert(box, text) {
    var value = box.value;
    if (!value) {
      box.value = text;
    } else if (typeof box.selectionStart === 'number') {
      var start = box.selectionStart;
      var end = box.selectionEnd;
      box.value = value.slice(0, start) + text + value.slice(end);
      box.selectionStart = box.selectionEnd = start + text.length;
    } else {
      box.value = value + '\n\n' + text;
    }
    box.focus();
  }

  function enhance(form) {
    var box = document.getElementById(form.getAttribute('data-reply-box'));
    var select = form.querySelector('select');
    if (!box || !select) { return; }
    form.addEventListener('submit', function (event) {
      var option = select.options[select.selectedIndex];
      var text = option ? option.getAttribute('data-body') : null;
      if (!text) { return; }  // nothing chosen: let the form do what it does without script
      event.preventDefault();
      insert(box, text);
    });
  }

  for (var i = 0; i < pickers.length; i += 1) { enhance(pickers[i]); }
}());
