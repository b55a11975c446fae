// Keyboard shortcuts: "/" focuses the search box; the arrow keys follow the previous and next
// page links. Everything else works without JavaScript.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) {
    if (typing && event.key === "Escape") target.blur();
    return;
  }
  if (event.key === "/") {
    var box = document.getElementById("q");
    if (box) { event.preventDefault(); box.focus(); box.select(); }
    return;
  }
  var rel = event.key === "ArrowLeft" ? "prev" : event.key === "ArrowRight" ? "next" : null;
  var page = rel && document.querySelector('a[rel="' + rel + '"]');
  if (page) window.location.href = page.href;
});
