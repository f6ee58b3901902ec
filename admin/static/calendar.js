// Slot calendar: arrow keys move between slots (left/right: days, up/down: times); Enter opens the slot.
(function () {
  "use strict";
  var table = document.getElementById("week");
  if (!table) { return; }
  var slots = Array.prototype.slice.call(table.querySelectorAll("a.slot"));

  function place(link) {
    var cell = link.closest("td");
    return { col: cell.cellIndex, row: cell.parentElement.rowIndex, top: link.getBoundingClientRect().top };
  }

  function nearest(from, key) {
    var here = place(from), best = null, bestScore = Infinity;
    slots.forEach(function (other) {
      if (other === from) { return; }
      var p = place(other), score;
      if (key === "ArrowRight" && p.col > here.col) { score = (p.col - here.col) * 1000 + Math.abs(p.top - here.top); }
      else if (key === "ArrowLeft" && p.col < here.col) { score = (here.col - p.col) * 1000 + Math.abs(p.top - here.top); }
      else if (key === "ArrowDown" && p.col === here.col && p.top > here.top) { score = p.top - here.top; }
      else if (key === "ArrowUp" && p.col === here.col && p.top < here.top) { score = here.top - p.top; }
      else { return; }
      if (score < bestScore) { best = other; bestScore = score; }
    });
    return best;
  }

  table.addEventListener("keydown", function (event) {
    var link = event.target.closest && event.target.closest("a.slot");
    if (!link || ["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp"].indexOf(event.key) < 0) { return; }
    var next = nearest(link, event.key);
    if (next) { event.preventDefault(); next.focus(); }
  });
})();
