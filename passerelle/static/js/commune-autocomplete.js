// Progressive enhancement: suggest communes from /api/v1/communes while typing. Without JavaScript the field
// still accepts a name or an INSEE code, resolved by the server.
(function () {
  "use strict";
  function attach(input) {
    var list = document.createElement("datalist");
    list.id = input.id + "-suggestions";
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    input.parentNode.appendChild(list);
    var timer = null;
    var lastQuery = "";
    input.addEventListener("input", function () {
      var query = input.value.trim();
      if (query.length < 2 || query === lastQuery) { return; }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        lastQuery = query;
        fetch("/api/v1/communes?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (communes) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            communes.forEach(function (commune) {
              var option = document.createElement("option");
              option.value = commune.label;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are a convenience only */ });
      }, 200);
    });
  }
  document.querySelectorAll("input[data-commune-autocomplete]").forEach(attach);
})();
