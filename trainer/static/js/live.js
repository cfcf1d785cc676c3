/* Live updates for workshops. Loaded as a file (the CSP allows no inline script), and only an
   improvement: without it the projector refreshes itself every 10 s (<noscript> meta refresh)
   and phones have a 更新 button. */
(function () {
  "use strict";

  // "no-cache" for the phase poll: the browser asks again with If-None-Match and the server
  // answers 304 until the phase changes (workshops/phase_poll.py).
  function get(url, cache) {
    return fetch(url, { credentials: "same-origin", cache: cache || "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r;
    });
  }

  // The projector: the part that changes is fetched again every couple of seconds.
  document.querySelectorAll("[data-live-url]").forEach(function (box) {
    var every = parseInt(box.getAttribute("data-live-every") || "2000", 10);
    var busy = false;
    setInterval(function () {
      if (busy) { return; }
      busy = true;
      get(box.getAttribute("data-live-url"))
        .then(function (r) { return r.text(); })
        .then(function (html) { box.innerHTML = html; box.removeAttribute("data-stale"); })
        .catch(function () { box.setAttribute("data-stale", "true"); })
        .then(function () { busy = false; });
    }, every);
  });

  // A test on a phone: each answer is saved as it is chosen.
  var form = document.querySelector("form[data-autosave]");
  var status = form && form.querySelector("[data-save-status]");
  var timer = null;
  var pending = Promise.resolve();
  // Only the questions changed since the last successful save are sent (a room of phones
  // saving every answer is the busiest traffic a workshop makes); a failed save keeps them.
  var dirty = new Set();

  function save() {
    if (!form || dirty.size === 0) { return Promise.resolve(); }
    var sending = Array.from(dirty);
    dirty.clear();
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    sending.forEach(function (section) {
      section.querySelectorAll("input:checked").forEach(function (input) {
        data.append(input.name, input.value);
      });
    });
    data.append("action", "save");
    // getAttribute: form.action would be the buttons named "action", not the form's URL.
    pending = fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!status) { return; }
        if (!r.ok && r.status !== 409) {  // 409: the test is over; sending again won't help
          sending.forEach(function (section) { dirty.add(section); });
        }
        if (r.ok) {
          var now = new Date();
          status.textContent = "保存しました（" + now.getHours() + "時" +
            String(now.getMinutes()).padStart(2, "0") + "分）";
          status.className = "save-status saved";
        } else {
          status.textContent = body.error || "保存できませんでした。";
          status.className = "save-status failed";
        }
      });
    }).catch(function () {
      sending.forEach(function (section) { dirty.add(section); });
      if (status) {
        status.textContent = "通信が切れています。つながると、次に選んだときに保存されます。";
        status.className = "save-status failed";
      }
    });
    return pending;
  }

  if (form) {
    form.addEventListener("change", function (event) {
      var section = event.target.closest(".test-item");
      if (section) { dirty.add(section); }
      clearTimeout(timer);
      timer = setTimeout(save, 400);
    });
  }

  // The phone follows the trainer: when the phase changes, the page is loaded again.
  var banner = document.querySelector("[data-phase-url]");
  if (banner) {
    var shown = banner.getAttribute("data-phase");
    var poll = function () {
      get(banner.getAttribute("data-phase-url"), "no-cache")
        .then(function (r) { return r.json(); })
        .then(function (state) {
          if (state.phase !== shown) {
            shown = state.phase;
            clearTimeout(timer);
            // A room of phones sees the change within the same 3 s; spreading their page loads
            // over a few more seconds (the server says how many for a room this size) keeps the
            // server, and the projector, quick for everyone.
            var spread = Math.random() * (state.spread_ms || 0);
            pending.then(function () { setTimeout(function () { window.location.reload(); }, spread); });
          }
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    };
    setInterval(poll, 3000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) { poll(); }
    });
  }
})();
