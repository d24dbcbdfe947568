/*
 * The sign-in form, when many people sign in at once. The server checks one password at a time per
 * worker and answers any sign-in beyond the few it holds at once "try again in a moment" (429 with a
 * Retry-After) instead of holding a request thread the analyses need. Rather than ask the person to
 * type their password again, this page sends the same form again after that pause, saying so in a
 * status line, up to MAX_TRIES times; any other answer is shown as the server sent it (signed in: the
 * page it leads to; a wrong password, an expired form or a refusal: the sign-in page with its
 * message). Without this script (or fetch), the form posts as plain HTML, as before.
 * Not in Dash's pages: assets_path_ignore (dashboard/factory.py) keeps this folder out of them.
 */
(function () {
  "use strict";
  var MAX_TRIES = 30;
  if (!window.fetch || !window.FormData || !window.URLSearchParams || !window.DOMParser) {
    return;
  }

  function say(text, attempt) {
    // said once (a live region): the attempt it is at is kept on the line, not read out every 2 s
    var line = document.getElementById("login-wait");
    if (line) {
      if (line.textContent !== text) {
        line.textContent = text;
      }
      line.setAttribute("data-attempt", String(attempt || 0));
    }
  }

  function show(html) {
    // the sign-in page the server answered with: its card in place of ours, its message announced
    var answer = new DOMParser().parseFromString(html, "text/html");
    var mine = document.querySelector("main");
    var theirs = answer.querySelector("main");
    if (!mine || !theirs) {
      document.documentElement.innerHTML = answer.documentElement.innerHTML;
      return;
    }
    mine.innerHTML = theirs.innerHTML;
    var focus = document.getElementById("login-password");
    if (focus) {
      focus.focus();
    }
  }

  var sending = false; // one sign-in at a time: a second click meanwhile does nothing

  function send(form, tries) {
    sending = true;
    fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
      redirect: "follow",
      // the server then answers a refusal as a 200 with its status in X-Sign-In-Status, so the
      // console does not list an expected "wrong password" or "try again" as a failed load
      headers: { "X-Sign-In": "page" }
    })
      .then(function (response) {
        var pause = Number(response.headers.get("Retry-After"));
        var busy = response.headers.get("X-Sign-In-Status") === "429" && pause > 0 && pause <= 30;
        if (busy && tries < MAX_TRIES) {
          say(
            "Many people are signing in right now: signing you in when it is your turn.",
            tries + 1
          );
          window.setTimeout(function () {
            send(form, tries + 1);
          }, pause * 1000);
          return null;
        }
        if (response.redirected) {
          window.location.assign(response.url);
          return null;
        }
        return response.text().then(function (html) {
          sending = false;
          show(html);
        });
      })
      .catch(function () {
        // the network failed under the page: the plain form post says what happened
        HTMLFormElement.prototype.submit.call(form);
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "login-form") {
      return;
    }
    event.preventDefault();
    if (sending) {
      return;
    }
    say("");
    send(form, 1);
  });
})();
