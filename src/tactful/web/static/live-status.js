// The pages' only script: keeps a pending request's status up to date without reloading
// the page. It fetches the same page every few seconds and swaps in its status region
// (marked aria-live, so a screen reader hears the change and nothing else moves). Without
// script the page still works: its "Check again" link reloads it.
(function () {
  "use strict";
  var region = document.querySelector("[data-live-status]");
  if (!region || region.hasAttribute("data-finished")) {
    return;
  }
  var every = parseInt(region.getAttribute("data-live-status"), 10) || 3000;
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.text() : Promise.reject(response.status);
      })
      .then(function (html) {
        var fresh = new DOMParser()
          .parseFromString(html, "text/html")
          .querySelector("[data-live-status]");
        if (!fresh) {
          return;
        }
        region.innerHTML = fresh.innerHTML;
        if (fresh.hasAttribute("data-finished")) {
          region.setAttribute("data-finished", "");
        } else {
          window.setTimeout(poll, every);
        }
      })
      .catch(function () {
        window.setTimeout(poll, every * 2);
      });
  }
  window.setTimeout(poll, every);
})();
