// Paper cards: math typeset by the local KaTeX copy, and keyboard shortcuts
// (j/k next/previous paper, u/d more like this / not for me, o open, ? help).
// A file, not inline script: the pages' CSP allows only scripts served by the site.
"use strict";
(function () {
  var DELIMITERS = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];

  function typeset(root) {
    if (typeof window.renderMathInElement !== "function") return;
    var blocks = root.querySelectorAll ? root.querySelectorAll(".math") : [];
    for (var i = 0; i < blocks.length; i++) {
      if (blocks[i].dataset.typeset) continue;
      blocks[i].dataset.typeset = "1";
      window.renderMathInElement(blocks[i], {
        delimiters: DELIMITERS,
        throwOnError: false,
        strict: "ignore",
        trust: false,
      });
    }
  }

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("article.paper"));
  }

  function current() {
    return document.querySelector("article.paper.current");
  }

  function move(step) {
    var all = cards();
    if (!all.length) return;
    var now = current();
    var at = now ? all.indexOf(now) + step : step > 0 ? 0 : all.length - 1;
    at = Math.max(0, Math.min(all.length - 1, at));
    if (now) now.classList.remove("current");
    all[at].classList.add("current");
    all[at].focus({ preventScroll: true });
    all[at].scrollIntoView({ block: "nearest" });
  }

  function press(selector) {
    var card = current();
    var button = card ? card.querySelector(selector) : null;
    if (button) button.click();
  }

  function help() {
    var box = document.getElementById("keys-help");
    if (box) {
      box.hidden = !box.hidden;
      return;
    }
    box = document.createElement("div");
    box.id = "keys-help";
    box.className = "note keys-help";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Keyboard shortcuts");
    var keys = [
      ["j / k", "next / previous paper"],
      ["u", "more like this"],
      ["d", "not for me"],
      ["o", "open the paper"],
      ["?", "show or hide this help"],
    ];
    var list = document.createElement("dl");
    keys.forEach(function (pair) {
      var dt = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      dt.appendChild(kbd);
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    var title = document.createElement("strong");
    title.textContent = "Keyboard shortcuts";
    box.appendChild(title);
    box.appendChild(list);
    document.body.appendChild(box);
  }

  function typing(target) {
    return (
      target instanceof Element &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var actions = {
      j: function () { move(1); },
      k: function () { move(-1); },
      u: function () { press("button[data-vote=up]"); },
      d: function () { press("button[data-vote=down]"); },
      o: function () {
        var card = current();
        var link = card ? card.querySelector("a.title") : null;
        if (link) window.location.href = link.href;
      },
      "?": help,
    };
    var action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { typeset(document); });
  document.addEventListener("htmx:afterSwap", function (event) { typeset(event.target); });
})();
