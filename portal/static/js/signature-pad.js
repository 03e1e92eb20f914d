/* The optional signature pad on signing pages (ES5, for old browsers too). It shows the
   pad, lets a finger, pen or mouse draw on it, and on submit puts the drawing into the
   hidden "drawing" input as a PNG data URL. Without this script the pad stays hidden and
   the typed name is the signature. */
(function () {
  "use strict";
  var pad = document.getElementById("signature-pad");
  var input = document.getElementById("signature-drawing");
  if (!pad || !input) { return; }
  var canvas = pad.getElementsByTagName("canvas")[0];
  if (!canvas || !canvas.getContext) { return; }
  var context = canvas.getContext("2d");
  var drawing = false, drawn = false, last = null;

  context.lineWidth = 3;
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  pad.removeAttribute("hidden");

  function point(event) {
    var box = canvas.getBoundingClientRect();
    var source = event.touches && event.touches.length ? event.touches[0] : event;
    return {
      x: (source.clientX - box.left) * (canvas.width / box.width),
      y: (source.clientY - box.top) * (canvas.height / box.height)
    };
  }
  function start(event) {
    drawing = true;
    last = point(event);
    event.preventDefault();
  }
  function move(event) {
    if (!drawing) { return; }
    var next = point(event);
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    last = next;
    drawn = true;
    event.preventDefault();
  }
  function stop() { drawing = false; }

  canvas.addEventListener("mousedown", start, false);
  canvas.addEventListener("mousemove", move, false);
  document.addEventListener("mouseup", stop, false);
  canvas.addEventListener("touchstart", start, false);
  canvas.addEventListener("touchmove", move, false);
  canvas.addEventListener("touchend", stop, false);

  document.getElementById("signature-pad-clear").addEventListener("click", function () {
    context.clearRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    input.value = "";
  }, false);

  var form = pad.parentNode;
  while (form && form.nodeName !== "FORM") { form = form.parentNode; }
  if (form) {
    form.addEventListener("submit", function () {
      input.value = drawn ? canvas.toDataURL("image/png") : "";
    }, false);
  }
}());
