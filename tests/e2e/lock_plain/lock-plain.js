// A plain page driving the unmodified Lock 14 against the dev tenant. Everything Lock reports
// lands on window.lockEvents; the test calls the helpers on window.plain.
(function () {
  "use strict";
  var domain = window.TENANT_URL;
  var lock = new window.Auth0Lock("pyscript-session-demo", domain, {
    configurationBaseUrl: domain,
    overrides: { __token_issuer: domain + "/" },
    languageBaseUrl: "/vendor/lock",
    avatar: null,
    theme: { logo: "/vendor/lock/logo.svg" },
    auth: {
      responseType: "token id_token",
      params: { scope: "openid profile email" }
    }
  });
  var events = (window.lockEvents = []);
  function record(name) {
    lock.on(name, function (payload) {
      events.push({ name: name, payload: payload === undefined ? null : payload });
      document.getElementById("events").textContent += name + "\n";
    });
  }
  ["authenticated", "authorization_error", "hash_parsed", "signup success", "signup error",
   "forgot_password submit", "unrecoverable_error"].forEach(record);

  function settle(call) {
    return new Promise(function (resolve) {
      call(function (error, result) {
        resolve(error ? { error: error } : { result: result });
      });
    });
  }
  window.plain = {
    show: function (options) { lock.show(options || {}); },
    getProfile: function (accessToken) {
      return settle(function (done) { lock.getProfile(accessToken, done); });
    },
    checkSession: function () {
      return settle(function (done) { lock.checkSession({}, done); });
    },
    logout: function () { lock.logout({ returnTo: window.location.origin + "/" }); }
  };
  document.getElementById("show").addEventListener("click", function () { lock.show(); });
})();
