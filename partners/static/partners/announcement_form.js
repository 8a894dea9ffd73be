// The announcement form shows only the audience field that the chosen audience uses (tiers,
// territories or named partners). Without JavaScript every field stays visible and the server
// checks the choice.
(function () {
  "use strict";
  var audience = document.getElementById("id_audience");
  if (!audience) {
    return;
  }
  var fields = { tiers: "tiers", territories: "territories", partners: "partners" };

  function wrapper(name) {
    var input = audience.form.querySelector("[name='" + name + "']");
    return input ? input.closest("[class^='col-']") : null;
  }

  function update() {
    Object.keys(fields).forEach(function (value) {
      var box = wrapper(fields[value]);
      if (box) {
        box.hidden = audience.value !== value;
      }
    });
  }

  audience.addEventListener("change", update);
  update();
})();
