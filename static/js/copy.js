// Progressive enhancement for the authenticator set-up page: a button that copies the setup key
// (without the spaces that group it). Without JavaScript, or without clipboard access, the button
// stays hidden and the key can be selected and copied, or typed, as text.
(function () {
  var button = document.querySelector("[data-copy]");
  var status = document.querySelector("[data-copy-status]");
  if (!button || !navigator.clipboard || !window.isSecureContext) {
    return;
  }
  var source = document.getElementById(button.getAttribute("data-copy"));
  button.hidden = false;
  button.addEventListener("click", function () {
    var key = source.textContent.replace(/\s+/g, "");
    navigator.clipboard.writeText(key).then(
      function () { status.textContent = "Key copied."; },
      function () { status.textContent = "Couldn't copy: select the key and copy it instead."; }
    );
  });
})();
