// The jQuery "Session Handling" tutorial's app.js, ported to plain JS for Lock 14.
//
// Same behaviour as the tutorial: the stored id_token marks a session; on load the page asks
// Lock for the profile when a token is stored, and shows the login button otherwise; logout
// clears storage and goes back to the start page. Lock 14 differs from the tutorial's Lock in
// one way that matters: getProfile needs the access token (it calls /userinfo), so that is
// stored beside the id_token. Instead of alert() an error goes to #notice, so a benchmark
// never blocks on a dialog.
//
// AUTH0_CLIENT_ID and AUTH0_DOMAIN come from auth0-variables.js, as in the tutorial's sample.
(function () {
  "use strict";

  var KEYS = ["id_token", "access_token", "expires_at"];
  var home = location.origin + location.pathname;
  var selfHosted = /^https?:\/\//.test(AUTH0_DOMAIN);

  var options = {
    auth: {
      redirectUrl: home,
      responseType: "token id_token",
      params: { scope: "openid profile email" },
    },
    languageBaseUrl: "/vendor/lock",
    avatar: null,
    theme: { logo: "/vendor/lock/logo.svg" },
  };
  if (selfHosted) {
    // A tenant on plain http (the dev tenant): Lock's defaults assume https://<domain>/.
    options.configurationBaseUrl = AUTH0_DOMAIN;
    options.overrides = { __token_issuer: AUTH0_DOMAIN.replace(/\/+$/, "") + "/" };
  }

  var lock = new Auth0Lock(AUTH0_CLIENT_ID, AUTH0_DOMAIN, options);

  var body = document.body;
  var btnLogin = document.getElementById("btn-login");
  var btnLogout = document.getElementById("btn-logout");
  var notice = document.getElementById("notice");

  function decide(state) {
    btnLogin.hidden = state === "logged-in";
    btnLogout.hidden = state !== "logged-in";
    document.getElementById("loading").hidden = true;
    body.setAttribute("data-session", state);
  }

  function showProfile(profile) {
    document.getElementById("profile-name").textContent = profile.name || profile.nickname || "";
    document.getElementById("profile-email").textContent = profile.email || "";
    var picture = document.getElementById("profile-picture");
    if (profile.picture) {
      picture.setAttribute("src", profile.picture);
      picture.hidden = false;
    }
    decide("logged-in");
  }

  function clearSession() {
    KEYS.forEach(function (key) {
      localStorage.removeItem(key);
    });
  }

  function loggedOut(message) {
    notice.textContent = message || "";
    decide("logged-out");
  }

  // Check session: a stored id_token means a session; the profile confirms it.
  function retrieveProfile() {
    if (localStorage.getItem("id_token") === null) {
      loggedOut();
      return;
    }
    lock.getProfile(localStorage.getItem("access_token"), function (err, profile) {
      if (err) {
        // An expired or revoked token: forget it, as the tutorial does.
        clearSession();
        loggedOut("There was an error getting the profile: " + (err.description || err.message));
        return;
      }
      showProfile(profile);
    });
  }

  // Create session: keep the id_token (the marker) and the access token getProfile needs.
  lock.on("authenticated", function (authResult) {
    localStorage.setItem("id_token", authResult.idToken);
    localStorage.setItem("access_token", authResult.accessToken);
    localStorage.setItem(
      "expires_at",
      String(Math.floor(Date.now() / 1000) + (authResult.expiresIn || 0)),
    );
    history.replaceState(null, "", home);
    retrieveProfile();
  });

  lock.on("authorization_error", function (error) {
    loggedOut(error.errorDescription || error.error || "Login failed.");
  });

  function logout() {
    clearSession();
    window.location.href = home;
  }

  btnLogin.addEventListener("click", function (e) {
    e.preventDefault();
    lock.show();
  });
  btnLogout.addEventListener("click", function (e) {
    e.preventDefault();
    logout();
  });

  // Back from the login page, the URL hash carries the result: Lock parses it and fires
  // `authenticated` (or `authorization_error`). Otherwise decide from storage now.
  if (!/(^#|&)(id_token|access_token|error)=/.test(location.hash)) {
    retrieveProfile();
  }
})();
