// Swagger UI for /api/docs, served from the vendored swagger-ui-dist (no CDN). Requests made
// with "Try it out" use the session cookie and send the page's CSRF token.
(function () {
  "use strict";
  var holder = document.getElementById("swagger-ui");
  if (!holder || !window.SwaggerUIBundle) {
    return;
  }
  var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  window.SwaggerUIBundle({
    url: holder.getAttribute("data-spec"),
    domNode: holder,
    deepLinking: false,
    requestInterceptor: function (request) {
      if (headers["X-CSRF-Token"]) {
        request.headers["X-CSRF-Token"] = headers["X-CSRF-Token"];
      }
      return request;
    }
  });
})();
