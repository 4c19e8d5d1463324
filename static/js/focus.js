// Progressive enhancement: after a change, move focus to the first notice (the result, or the
// error summary) so keyboard and screen-reader users land on what happened. Without JavaScript
// the notices are still announced through role="status" / role="alert".
(function () {
  var notice = document.querySelector("[data-notice]");
  if (notice && document.activeElement === document.body) {
    notice.focus();
  }
})();
