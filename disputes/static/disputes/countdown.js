// SLA countdowns: every element with data-deadline shows the time left (or overdue), refreshed
// each 30 seconds with the page's translated wording from #sla-strings.
(function () {
  "use strict";
  var strings = document.getElementById("sla-strings");
  if (!strings) {
    return;
  }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, key) {
      return String(values[key]);
    });
  }
  function span(seconds) {
    var days = Math.floor(seconds / 86400);
    var hours = Math.floor((seconds % 86400) / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    if (days) {
      return fill(strings.dataset.days, { d: days, h: hours });
    }
    if (hours) {
      return fill(strings.dataset.hours, { h: hours, m: minutes });
    }
    return fill(strings.dataset.minutes, { m: minutes });
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (element) {
      var seconds = Math.trunc((Date.parse(element.dataset.deadline) - now) / 1000);
      var overdue = seconds <= 0;
      var text = span(Math.abs(seconds));
      element.textContent = fill(overdue ? strings.dataset.overdue : strings.dataset.left, { time: text });
      if (overdue && element.parentElement) {
        element.parentElement.classList.add("text-danger", "fw-semibold");
      }
    });
  }
  tick();
  window.setInterval(tick, 30000);
})();
