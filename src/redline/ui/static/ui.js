// redline ui: progressive enhancement only. Every page works without this file;
// it adds delete confirmation, filters that apply on change, and labelling keys.
(function () {
  "use strict";

  // Deleting a run asks for its id to be typed (the form also refuses without it).
  document.querySelectorAll("form.delete").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var id = form.dataset.run;
      var typed = window.prompt("Delete run " + id + " and all its files? Type its id to confirm.");
      if (typed !== id) { event.preventDefault(); return; }
      form.querySelector("input[name=confirm]").value = typed;
    });
  });

  // Filter selects submit their form at once.
  document.querySelectorAll("form.filters select, form.filters input[type=checkbox]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  var item = document.getElementById("item");
  if (!item) { return; }
  var status = document.getElementById("status");
  var busy = false;

  function save(label) {
    if (busy) { return; }
    if (item.dataset.writable !== "1") {
      status.textContent = "Read-only dashboard: the label was not saved.";
      return;
    }
    busy = true;
    status.textContent = "saving " + label + "…";
    fetch("/api/annotate/" + encodeURIComponent(item.dataset.queue) + "/label", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ item_id: item.dataset.item, annotator: item.dataset.annotator, label: label })
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error || response.statusText); }
        window.location.assign(body.next_url);
      });
    }).catch(function (error) {
      busy = false;
      status.textContent = "not saved: " + error.message;
    });
  }

  document.querySelectorAll("#choices button").forEach(function (button) {
    button.addEventListener("click", function () { save(button.dataset.label); });
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) { return; }
    var key = event.key.toLowerCase();
    var choice = document.querySelector('#choices button[data-key="' + key + '"]');
    if (choice) { event.preventDefault(); save(choice.dataset.label); return; }
    var link = key === "j" ? document.getElementById("next") : key === "k" ? document.getElementById("prev") : null;
    if (link) { event.preventDefault(); window.location.assign(link.href); }
  });
}());
