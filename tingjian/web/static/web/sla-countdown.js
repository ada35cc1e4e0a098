/*
 * Tingjian SLA countdown (no dependencies; licence: the project's own).
 *
 * Keeps every SLA badge with a data-due attribute current: "12 min left", "3 h 05 min left",
 * "overdue 7 min", and its colour class (sla-green / sla-amber / sla-red / sla-breached)
 * switching at the data-amber, data-red and data-due moments. The wording comes from the
 * badge's own data attributes, rendered translated by the server, so this script has no
 * language of its own. Badges swapped in by htmx are picked up at once (htmx:afterSwap) and
 * by the next tick anyway, since every tick looks the badges up again.
 */
(function () {
  "use strict";

  var STATES = ["sla-green", "sla-amber", "sla-red", "sla-breached"];

  function moment(el, name) {
    var value = el.getAttribute(name);
    if (!value) { return null; }
    var ms = Date.parse(value);
    return isNaN(ms) ? null : ms;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function span(el, seconds) {
    var minutes = Math.max(1, Math.ceil(Math.abs(seconds) / 60));
    if (minutes < 60) {
      return fill(el.dataset.minutes || "{m} min", { m: minutes });
    }
    if (minutes < 24 * 60) {
      var rest = minutes % 60;
      return fill(el.dataset.hours || "{h} h {mm} min", {
        h: Math.floor(minutes / 60), mm: (rest < 10 ? "0" : "") + rest
      });
    }
    return fill(el.dataset.days || "{d} d {h} h", {
      d: Math.floor(minutes / 1440), h: Math.floor((minutes % 1440) / 60)
    });
  }

  function update(el, now) {
    var due = moment(el, "data-due");
    if (due === null) { return; }
    var amber = moment(el, "data-amber");
    var red = moment(el, "data-red");
    var state = "sla-green";
    if (now >= due) { state = "sla-breached"; }
    else if (red !== null && now >= red) { state = "sla-red"; }
    else if (amber !== null && now >= amber) { state = "sla-amber"; }
    if (!el.classList.contains(state)) {
      STATES.forEach(function (name) { el.classList.remove(name); });
      el.classList.add(state);
    }
    var left = (due - now) / 1000;
    var text = fill(left > 0 ? (el.dataset.left || "{time}") : (el.dataset.overdue || "-{time}"), {
      time: span(el, left)
    });
    var target = el.querySelector(".sla-text") || el;
    if (target.textContent !== text) { target.textContent = text; }
  }

  function tick() {
    var now = Date.now();
    var badges = document.querySelectorAll(".sla[data-due]");
    for (var i = 0; i < badges.length; i++) { update(badges[i], now); }
  }

  function start() {
    tick();
    // Each second, so a badge turns red or overdue on the minute it should.
    window.setInterval(tick, 1000);
    document.body.addEventListener("htmx:afterSwap", tick);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
